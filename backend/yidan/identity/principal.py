"""Who is calling: a user or a partner's API key, always inside one organisation."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    """What a user does; one role per user."""

    SHIPPER = "shipper"
    DISPATCHER = "dispatcher"
    GATE_OPERATOR = "gate_operator"
    FINANCE = "finance"
    PARTNER_ADMIN = "partner_admin"
    PORT_OPERATOR = "port_operator"
    REGULATOR = "regulator"
    ADMIN = "admin"


class OrgKind(StrEnum):
    """What an organisation (tenant) is."""

    SHIPPER = "shipper"
    CARRIER = "carrier"
    TERMINAL = "terminal"
    FORWARDER = "forwarder"
    REGULATOR = "regulator"


class Scope(StrEnum):
    """What an API key may do."""

    WAYBILLS_READ = "waybills:read"
    WAYBILLS_WRITE = "waybills:write"
    EVENTS_WRITE = "events:write"
    TRACKING_WRITE = "tracking:write"


@dataclass(frozen=True)
class Principal:
    """The authenticated caller of one request, with where the request came from (for the audit)."""

    org_id: uuid.UUID
    org_kind: OrgKind
    role: Role
    user_id: uuid.UUID | None = None
    api_key_id: uuid.UUID | None = None
    label: str = ""
    scopes: frozenset[str] = field(default_factory=frozenset)
    ip: str | None = None
    user_agent: str | None = None

    @property
    def is_api_key(self) -> bool:
        """True for a partner system calling with an API key."""
        return self.api_key_id is not None

    def has_role(self, *roles: Role) -> bool:
        """True when the caller has one of roles (an org admin has them all)."""
        return self.role in roles or self.role is Role.ADMIN

    def allows(self, scope: Scope) -> bool:
        """True when a user, or an API key granted scope."""
        return not self.is_api_key or scope.value in self.scopes
