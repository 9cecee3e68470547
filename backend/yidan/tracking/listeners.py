"""Wiring of what happens after a fix is committed: live push, geofences and automatic events, ETA."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from yidan.tracking.eta import EtaListener
from yidan.tracking.geofence import GeofenceListener
from yidan.tracking.live import LiveHub, LivePublisher

log = logging.getLogger("yidan.tracking.listeners")


@dataclass(frozen=True, slots=True)
class TrackingListeners:
    """The listeners registered with the app's pipeline (kept on app.state for metrics and tests)."""

    publisher: LivePublisher
    geofence: GeofenceListener
    eta: EtaListener


def live_hub(app: Any) -> LiveHub:
    """The process's one Redis subscriber for live positions, made on first use."""
    hub: LiveHub | None = getattr(app.state, "live_hub", None)
    if hub is None:
        hub = LiveHub(app.state.redis)
        app.state.live_hub = hub
    return hub


def register_listeners(app: Any) -> TrackingListeners | None:
    """Register the post-commit steps with app.state.pipeline: publish first, then geofences, then ETA."""
    pipeline = getattr(app.state, "pipeline", None)
    if pipeline is None:
        log.warning("no position pipeline on this app: live push, geofences and ETA are not running")
        return None
    listeners = TrackingListeners(
        publisher=LivePublisher(app.state.redis, app.state.sessionmaker),
        geofence=GeofenceListener(app.state.sessionmaker),
        eta=EtaListener(app.state.sessionmaker),
    )
    # the push goes first so that its latency does not include the database work of the other two;
    # geofences run before the ETA so that a departure found in this batch is estimated at once
    pipeline.add_listener(listeners.publisher)
    pipeline.add_listener(listeners.geofence)
    pipeline.add_listener(listeners.eta)
    app.state.tracking_listeners = listeners
    return listeners
