"""The position pipeline's life inside a process: started with the app, stopped (drained) with it."""

from __future__ import annotations

import logging

from fastapi import FastAPI

from yidan.tracking.pipeline import Pipeline

log = logging.getLogger("yidan.tracking.runtime")


async def start_pipeline(app: FastAPI, **options: object) -> Pipeline:
    """Create and start the process's pipeline on app.state.pipeline (listeners may be added later)."""
    existing: Pipeline | None = getattr(app.state, "pipeline", None)
    if existing is not None and existing.running:
        return existing
    pipeline = Pipeline(app.state.sessionmaker, **options)  # type: ignore[arg-type]
    await pipeline.start()
    app.state.pipeline = pipeline
    return pipeline


async def stop_pipeline(app: FastAPI) -> None:
    """Commit every accepted fix, then stop the pipeline (call before the engine is disposed)."""
    pipeline: Pipeline | None = getattr(app.state, "pipeline", None)
    if pipeline is None:
        return
    await pipeline.stop()
    stats = pipeline.stats
    log.info(
        "position pipeline stopped: %d stored, %d duplicates, %d rejected, %d failed",
        stats.stored,
        stats.duplicates,
        stats.rejected,
        stats.failed,
    )
