"""Who may call what over GraphQL: every field but `version` needs an authenticated principal."""

from __future__ import annotations

from typing import TYPE_CHECKING

from graphql import GraphQLError

from yidan.identity.principal import Principal

if TYPE_CHECKING:
    from yidan.graphql.context import Info

UNAUTHENTICATED = "UNAUTHENTICATED"
NOT_AUTHENTICATED_MESSAGE = "log in (Bearer token) or send an X-API-Key"


def unauthenticated(message: str = NOT_AUTHENTICATED_MESSAGE, reason: str | None = None) -> GraphQLError:
    """The error for a request without valid credentials; `reason` is the REST code (e.g. token_expired)."""
    extensions: dict[str, object] = {"code": UNAUTHENTICATED}
    if reason:
        extensions["reason"] = reason
    return GraphQLError(message, extensions=extensions)


def require_principal(info: Info) -> Principal:
    """The caller of this request; an UNAUTHENTICATED error when the request carried no valid credentials."""
    ctx = info.context
    if ctx.principal is not None:
        return ctx.principal
    if ctx.auth_error is not None:
        raise unauthenticated(ctx.auth_error.detail, ctx.auth_error.code)
    raise unauthenticated()
