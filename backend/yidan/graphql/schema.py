"""The GraphQL schema, composed from each domain's graphql module."""

from __future__ import annotations

import strawberry
from strawberry.fastapi import GraphQLRouter

from yidan.settings import Settings


@strawberry.type
class Query:
    """Root query."""

    @strawberry.field(description="API version")
    def version(self) -> str:
        """The API version."""
        from yidan import __version__

        return __version__


schema = strawberry.Schema(query=Query)


def graphql_router(settings: Settings) -> GraphQLRouter:  # type: ignore[type-arg]
    """The /graphql endpoint with GraphiQL."""
    return GraphQLRouter(schema, graphql_ide="graphiql")
