"""Location API output."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class LocationOut(BaseModel):
    """A UN/LOCODE place."""

    model_config = ConfigDict(from_attributes=True)

    unlocode: str
    name: str
    name_zh: str | None = None
    country: str
    kind: str
    lat: float
    lon: float


class TerminalOut(BaseModel):
    """A terminal at a place."""

    model_config = ConfigDict(from_attributes=True)

    code: str
    unlocode: str
    name: str
    name_zh: str | None = None
    kind: str
    lat: float
    lon: float


class GateOut(BaseModel):
    """A truck gate with its GeoJSON geofence."""

    model_config = ConfigDict(from_attributes=True)

    code: str
    terminal_code: str
    name: str
    name_zh: str | None = None
    lanes: int
    geofence: dict[str, Any]
