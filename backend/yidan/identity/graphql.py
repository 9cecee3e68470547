"""GraphQL types and queries for the caller and the organisation directory."""

from __future__ import annotations

import strawberry

from yidan.graphql.context import Info
from yidan.graphql.permissions import require_principal
from yidan.identity import service
from yidan.identity.models import Organisation
from yidan.identity.principal import OrgKind, Role

strawberry.enum(OrgKind, description="What an organisation (tenant) is.")
strawberry.enum(Role, description="What a user does; one role per user.")


@strawberry.type(
    name="Organisation", description="A tenant: shipper, carrier, terminal, forwarder, regulator."
)
class OrganisationType:
    id: strawberry.ID
    name: str
    name_zh: str | None
    kind: OrgKind

    @classmethod
    def from_model(cls, org: Organisation) -> OrganisationType:
        """The GraphQL view of an organisation."""
        return cls(id=strawberry.ID(str(org.id)), name=org.name, name_zh=org.name_zh, kind=org.kind)


@strawberry.type(name="Me", description="The caller: a user, or a partner system's API key.")
class MeType:
    id: strawberry.ID | None = strawberry.field(description="the user's id; null for an API key")
    email: str | None
    name: str
    role: Role
    organisation: OrganisationType
    scopes: list[str] = strawberry.field(description="what an API key may do; empty for users")


@strawberry.type
class IdentityQuery:
    """Identity queries."""

    @strawberry.field(description="Who is calling, in which organisation, with which role.")
    async def me(self, info: Info) -> MeType:
        """The caller."""
        principal = require_principal(info)
        async with info.context.db() as session:
            user, org = await service.get_me(session, principal)
        return MeType(
            id=strawberry.ID(str(user.id)) if user else None,
            email=user.email if user else None,
            name=user.name if user else principal.label,
            role=principal.role,
            organisation=OrganisationType.from_model(org),
            scopes=sorted(principal.scopes),
        )

    @strawberry.field(description="The organisation directory, e.g. the carriers to choose for a leg.")
    async def organisations(self, info: Info, kind: OrgKind | None = None) -> list[OrganisationType]:
        """Organisations, optionally of one kind."""
        require_principal(info)
        async with info.context.db() as session:
            orgs = await service.list_organisations(session, kind=kind)
        return [OrganisationType.from_model(o) for o in orgs]
