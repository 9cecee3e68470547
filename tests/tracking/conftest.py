"""Fixtures shared by the tracking tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from tests.tracking.live_support import serve


@pytest.fixture(scope="module")
async def live_server(app) -> AsyncIterator[str]:  # type: ignore[no-untyped-def]
    """The app behind a real socket, for SSE and websocket clients."""
    async with serve(app) as url:
        yield url
