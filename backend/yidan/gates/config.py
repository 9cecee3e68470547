"""What the gate services need from the settings: the pass key ring, scan tolerances and link secrets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from yidan.gates.tokens import KeyRing, keyring
from yidan.settings import Settings

# Chinese ports keep UTC+8; days, slots and passes are shown in the port's time.
DEFAULT_TZ = "Asia/Shanghai"


@dataclass(frozen=True)
class GateConfig:
    """Gate settings resolved once: keys, links and the rules a scan applies."""

    keys: KeyRing
    secret: str
    base_url: str
    grace: timedelta
    max_dwell: timedelta
    fix_max_age: timedelta
    geofence_tolerance_m: float
    position_required: bool
    tz: str = DEFAULT_TZ


# settings objects live as long as the app; keeping a reference makes an id() reuse impossible
_CACHE: dict[tuple[int, str], tuple[Settings, GateConfig]] = {}


def config_for(settings: Settings, secret: str) -> GateConfig:
    """The gate configuration of these settings, resolved once per settings object."""
    hit = _CACHE.get((id(settings), secret))
    if hit is not None and hit[0] is settings:
        return hit[1]
    cfg = GateConfig(
        keys=keyring(settings.gate_pass_seed()),
        secret=secret,
        base_url=settings.public_base_url.rstrip("/"),
        grace=timedelta(seconds=settings.gate_pass_grace_s),
        max_dwell=timedelta(seconds=settings.gate_max_dwell_s),
        fix_max_age=timedelta(seconds=settings.gate_fix_max_age_s),
        geofence_tolerance_m=settings.gate_geofence_tolerance_m,
        position_required=settings.gate_position_required,
    )
    _CACHE[(id(settings), secret)] = (settings, cfg)
    return cfg
