"""The GraphQL schema, composed from each domain's graphql module, with its transaction, errors and limits."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterator
from functools import partial
from typing import Any, cast

import strawberry
from graphql import GraphQLError
from pydantic import ValidationError
from strawberry.extensions import MaskErrors, MaxAliasesLimiter, QueryDepthLimiter, SchemaExtension
from strawberry.fastapi import GraphQLRouter
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from yidan.core.errors import DomainError, ValidationFailed
from yidan.gates.graphql import GatesMutation, GatesQuery
from yidan.graphql.context import Context, get_context
from yidan.identity.graphql import IdentityQuery
from yidan.locations.graphql import LocationsQuery
from yidan.settings import Settings
from yidan.settlement.graphql import SettlementMutation, SettlementQuery
from yidan.tracking.graphql import TrackingSubscription
from yidan.waybills.graphql import WaybillsMutation, WaybillsQuery

log = logging.getLogger("yidan.graphql")

INTERNAL_MESSAGE = "Internal server error"
INTERNAL_CODE = "internal_error"


@strawberry.type
class VersionQuery:
    """The one field that needs no credentials."""

    @strawberry.field(description="API version")
    def version(self) -> str:
        """The API version."""
        from yidan import __version__

        return __version__


Query = merge_types(
    "Query", (VersionQuery, IdentityQuery, LocationsQuery, WaybillsQuery, SettlementQuery, GatesQuery)
)
Mutation = merge_types("Mutation", (WaybillsMutation, SettlementMutation, GatesMutation))
Subscription = merge_types("Subscription", (TrackingSubscription,))


# ---- errors ----


def is_exposed(error: GraphQLError) -> bool:
    """True for errors a client may read as they are: GraphQL's own, domain rules and input validation."""
    original = error.original_error
    return original is None or isinstance(original, GraphQLError | DomainError | ValidationError)


def _camel_path(path: str) -> str:
    """A field path in GraphQL names: cargo_lines[0].gross_weight_kg → cargoLines[0].grossWeightKg."""
    return re.sub(r"_([a-z0-9])", lambda m: m.group(1).upper(), path)


def _pydantic_errors(exc: ValidationError) -> ValidationFailed:
    errors = []
    for err in exc.errors():
        path = ""
        for part in err.get("loc", ()):
            path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
        errors.append({"field": path or "input", "message": str(err.get("msg", "invalid"))})
    first = errors[0] if errors else {"field": "input", "message": "invalid"}
    return ValidationFailed(f"{first['field']}: {first['message']}", errors=errors)


def domain_error(error: GraphQLError) -> GraphQLError:
    """The client's view of a domain or validation failure: its message and extensions {code, errors}."""
    original = error.original_error
    if isinstance(original, ValidationError):
        original = _pydantic_errors(original)
    if not isinstance(original, DomainError):
        return error
    extensions: dict[str, Any] = {"code": original.code}
    message = original.detail
    if original.errors or isinstance(original, ValidationFailed):
        errors = [
            {"field": _camel_path(e.get("field", "")), "message": e.get("message", "")}
            for e in original.errors
        ]
        extensions["errors"] = errors
        if errors:
            message = f"{errors[0]['field']}: {errors[0]['message']}"
    return GraphQLError(message, error.nodes, error.source, error.positions, error.path, original, extensions)


class DomainErrors(SchemaExtension):
    """Map domain and input-validation errors, once, to GraphQL errors with extensions {code, errors}."""

    def on_operation(self) -> Iterator[None]:
        """Rewrite the operation's errors on the way out."""
        yield
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if result is not None and errors:
            result.errors = [domain_error(e) for e in errors]


class MaskInternalErrors(MaskErrors):
    """Mask every error that is neither GraphQL's own nor a domain or validation error; they are logged."""

    def __init__(self, debug: bool = False) -> None:
        super().__init__(
            should_mask_error=lambda error: not is_exposed(error), error_message=INTERNAL_MESSAGE
        )
        self.debug = debug

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        """The masked error: a fixed message and code (the original text only in debug mode)."""
        message = f"{INTERNAL_MESSAGE}: {error.message}" if self.debug else INTERNAL_MESSAGE
        return GraphQLError(
            message,
            error.nodes,
            error.source,
            error.positions,
            error.path,
            extensions={"code": INTERNAL_CODE},
        )


class Transaction(SchemaExtension):
    """Commit the request's session when the whole operation succeeded; roll back on any error."""

    async def on_operation(self) -> AsyncIterator[None]:
        """Wrap the operation in the request's transaction."""
        ctx = self.execution_context.context
        if not isinstance(ctx, Context):
            yield
            return
        try:
            yield
        except BaseException:
            await ctx.session.rollback()
            raise
        result = self.execution_context.result
        if result is None or getattr(result, "errors", None):
            await ctx.session.rollback()
            return
        try:
            await ctx.session.commit()
        except Exception as exc:
            # the client must not believe in changes that were not stored
            log.exception("GraphQL commit failed")
            await ctx.session.rollback()
            result.data = None
            result.errors = [GraphQLError(INTERNAL_MESSAGE, original_error=exc)]


class YidanSchema(strawberry.Schema):
    """The schema; logs only the errors that are masked (the others are the client's business)."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Log unexpected resolver failures with their traceback."""
        for error in errors:
            if not is_exposed(error):
                log.error("GraphQL error at %s: %s", error.path, error.message, exc_info=error.original_error)


def make_schema(
    max_depth: int = Settings.model_fields["graphql_max_depth"].default,
    max_aliases: int = Settings.model_fields["graphql_max_aliases"].default,
    debug_errors: bool = False,
) -> YidanSchema:
    """The schema with its per-request extensions."""
    return YidanSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        # operation hooks unwind last-first: the transaction settles (a failed commit becomes an error),
        # then domain errors get their codes, then whatever is left unexpected is masked
        extensions=[
            partial(MaskInternalErrors, debug=debug_errors),
            DomainErrors,
            Transaction,
            partial(QueryDepthLimiter, max_depth=max_depth),
            partial(MaxAliasesLimiter, max_alias_count=max_aliases),
        ],
    )


schema = make_schema()


def graphql_router(settings: Settings) -> GraphQLRouter[Context, None]:
    """The /graphql endpoint with GraphiQL, limited by the settings' depth and alias caps."""
    return GraphQLRouter(
        make_schema(settings.graphql_max_depth, settings.graphql_max_aliases, settings.debug_errors),
        # a FastAPI dependency with yield (it closes the session), which the annotation does not foresee
        context_getter=cast(Any, get_context),
        graphql_ide="graphiql",
        subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
    )
