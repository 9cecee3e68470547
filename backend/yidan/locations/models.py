"""UN/LOCODE places, their terminals, and the terminals' gates with geofences."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from yidan.core.db import Base


class Location(Base):
    """A UN/LOCODE place (port, rail hub, inland depot, city)."""

    __tablename__ = "locations"

    unlocode: Mapped[str] = mapped_column(String(5), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    name_zh: Mapped[str | None] = mapped_column(String(120))
    country: Mapped[str] = mapped_column(String(2), index=True)
    subdivision: Mapped[str | None] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(20))
    functions: Mapped[str | None] = mapped_column(String(8))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)


class Terminal(Base):
    """A container terminal, rail terminal or inland depot at a place."""

    __tablename__ = "terminals"

    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    unlocode: Mapped[str] = mapped_column(ForeignKey("locations.unlocode"), index=True)
    name: Mapped[str] = mapped_column(String(160))
    name_zh: Mapped[str | None] = mapped_column(String(160))
    kind: Mapped[str] = mapped_column(String(30))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    operator_org_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisations.id"), index=True)


class Gate(Base):
    """A truck gate of a terminal, with its geofence polygon ([lon, lat] ring)."""

    __tablename__ = "gates"

    code: Mapped[str] = mapped_column(String(30), primary_key=True)
    terminal_code: Mapped[str] = mapped_column(ForeignKey("terminals.code"), index=True)
    name: Mapped[str] = mapped_column(String(160))
    name_zh: Mapped[str | None] = mapped_column(String(160))
    lanes: Mapped[int] = mapped_column(Integer)
    geofence: Mapped[dict[str, Any]] = mapped_column(doc="GeoJSON Polygon")
