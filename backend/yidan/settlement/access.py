"""Who may do what with money: shippers see and pay their invoices; a seller's finance users run the rest."""

from __future__ import annotations

from yidan.core.errors import Forbidden
from yidan.identity.principal import OrgKind, Principal, Role

PAYER_ROLES = (Role.SHIPPER, Role.FINANCE)
FINANCE_ROLES = (Role.FINANCE,)
TARIFF_ROLES = (Role.FINANCE, Role.PARTNER_ADMIN)
SELLER_KINDS = frozenset({OrgKind.CARRIER, OrgKind.FORWARDER, OrgKind.TERMINAL})


def require_finance(principal: Principal, what: str) -> None:
    """Only a finance user (or an org admin) may do this."""
    if principal.is_api_key or not principal.has_role(*FINANCE_ROLES):
        raise Forbidden(
            f"{what} needs the role finance; you are {principal.role.value}", code="role_required"
        )


def require_payer(principal: Principal) -> None:
    """Only a shipper or finance user of the buyer (or an org admin) may pay."""
    if principal.is_api_key or not principal.has_role(*PAYER_ROLES):
        raise Forbidden(
            f"paying needs the role shipper or finance; you are {principal.role.value}", code="role_required"
        )


def require_tariff_admin(principal: Principal) -> None:
    """Rate cards are kept by a carrier's finance or partner admins."""
    if principal.org_kind not in SELLER_KINDS:
        raise Forbidden("only carriers and terminals keep rate cards", code="not_a_seller")
    if principal.is_api_key or not principal.has_role(*TARIFF_ROLES):
        raise Forbidden(
            f"rate cards need the role finance or partner_admin; you are {principal.role.value}",
            code="role_required",
        )


def is_platform_finance(principal: Principal) -> bool:
    """The port operator runs the platform's Stripe account, so its finance users see all of it."""
    return principal.org_kind is OrgKind.TERMINAL and principal.has_role(*FINANCE_ROLES)
