"""FastAPI factory: REST routers, /graphql, health, and the built web app."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from starlette.exceptions import HTTPException as StarletteHTTPException

from yidan import __version__
from yidan.core.db import make_engine, make_sessionmaker
from yidan.core.embedded import start_services
from yidan.core.errors import install_error_handlers, problem_response
from yidan.core.redis import make_redis
from yidan.core.security import TokenConfig
from yidan.gates.router import routes as gates_routes
from yidan.graphql.schema import graphql_router
from yidan.identity.router import router as identity_router
from yidan.locations.router import router as locations_router
from yidan.partners.router import router as partners_router
from yidan.partners.tasks import start_in_app as start_webhook_delivery
from yidan.partners.tasks import stop_in_app as stop_webhook_delivery
from yidan.settings import Settings, get_settings
from yidan.settlement.router import router as settlement_router
from yidan.tracking.listeners import register_listeners
from yidan.tracking.live_router import router as tracking_live_router
from yidan.tracking.router import router as tracking_router
from yidan.tracking.runtime import start_pipeline, stop_pipeline
from yidan.waybills.router import public_router
from yidan.waybills.router import router as waybills_router

log = logging.getLogger("yidan.app")

API_PREFIXES = ("/api/", "/graphql", "/healthz", "/readyz", "/docs", "/redoc", "/openapi.json")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Open the database and Redis for the app's life; embedded servers when none are configured."""
    settings: Settings = app.state.settings
    services = start_services(settings.data_dir, settings.database_url, settings.redis_url)
    assert services.database_url and services.redis_url
    engine = make_engine(services.database_url, pool_size=settings.db_pool_size, echo=settings.db_echo)
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    app.state.redis = make_redis(services.redis_url)
    await start_pipeline(app)
    register_listeners(app)
    await start_webhook_delivery(app)
    try:
        yield
    finally:
        await stop_webhook_delivery(app)
        await stop_pipeline(app)
        await app.state.redis.aclose()
        await engine.dispose()
        services.stop()


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application."""
    settings = settings or get_settings()
    app = FastAPI(
        title="Yidan API",
        version=__version__,
        description=(
            "Yidan (一单): one electronic waybill for a whole multimodal journey — sea, rail and road — with "
            "live tracking, paperless gates and online settlement. Errors are RFC 9457 problem+json."
        ),
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.secret = settings.secret_key()
    app.state.token_config = TokenConfig(
        secret=app.state.secret,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        ttl_s=settings.access_token_ttl_s,
    )
    install_error_handlers(app)
    app.include_router(identity_router)
    app.include_router(locations_router)
    app.include_router(waybills_router)
    app.include_router(public_router)
    app.include_router(settlement_router)
    app.include_router(tracking_router)
    app.include_router(tracking_live_router)
    app.include_router(gates_routes)
    app.include_router(partners_router)
    app.include_router(graphql_router(settings), prefix="/graphql", include_in_schema=False)

    @app.get("/healthz", tags=["health"], summary="Alive")
    async def healthz() -> dict[str, str]:
        """The process is up."""
        return {"status": "ok", "version": __version__}

    @app.get(
        "/readyz", tags=["health"], summary="Ready", responses={503: {"description": "a dependency is down"}}
    )
    async def readyz(request: Request) -> JSONResponse:
        """The database and Redis answer."""
        checks: dict[str, str] = {}
        try:
            async with request.app.state.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            checks["database"] = "ok"
        except Exception as exc:
            checks["database"] = f"down: {type(exc).__name__}"
        try:
            await request.app.state.redis.ping()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"down: {type(exc).__name__}"
        if all(v == "ok" for v in checks.values()):
            return JSONResponse({"status": "ready", "checks": checks})
        body = {
            "type": "about:blank",
            "title": "Not ready",
            "status": 503,
            "code": "not_ready",
            "detail": "; ".join(f"{k} {v}" for k, v in checks.items() if v != "ok"),
            "checks": checks,
        }
        return problem_response(body)

    _mount_frontend(app, settings.frontend_dist)
    return app


def _mount_frontend(app: FastAPI, dist: Path) -> None:
    """Serve the built web app, sending client-side routes to index.html."""
    index = dist / "index.html"
    if not index.exists():
        log.info("no built web app at %s (run `make frontend`)", dist)
        return
    if (dist / "assets").is_dir():
        app.mount("/assets", StaticFiles(directory=dist / "assets"), name="assets")

    root = dist.resolve()
    built = {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}
    reserved = tuple(p.lstrip("/") for p in API_PREFIXES)

    @app.get("/{path:path}", include_in_schema=False)
    async def spa(path: str) -> FileResponse:
        if path.startswith(reserved):
            raise StarletteHTTPException(status_code=404, detail=f"no route /{path}")
        if path in built:  # only files of the build, never a path the caller made up
            return FileResponse(root / path)
        return FileResponse(index)
