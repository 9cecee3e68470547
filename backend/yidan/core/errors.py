"""Domain errors and their one rendering as RFC 9457 problem+json."""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("yidan.errors")
PROBLEM = "application/problem+json"


class DomainError(Exception):
    """A rule was broken; carries an HTTP status, a stable code and per-field errors."""

    status = 400
    code = "bad_request"
    title = "Bad request"

    def __init__(self, detail: str, *, errors: list[dict[str, str]] | None = None, code: str | None = None):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []
        if code:
            self.code = code

    def problem(self) -> dict[str, Any]:
        """The problem+json body."""
        body: dict[str, Any] = {
            "type": f"https://yidan.dev/problems/{self.code.replace('_', '-')}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "code": self.code,
        }
        if self.errors:
            body["errors"] = self.errors
        return body


class NotFound(DomainError):
    """The object does not exist or the caller may not see it (never tell which)."""

    status, code, title = 404, "not_found", "Not found"


class Unauthorized(DomainError):
    """No valid credentials."""

    status, code, title = 401, "unauthorized", "Unauthorized"


class Forbidden(DomainError):
    """The caller may see the object but not do this to it."""

    status, code, title = 403, "forbidden", "Forbidden"


class Conflict(DomainError):
    """The request conflicts with the current state."""

    status, code, title = 409, "conflict", "Conflict"


class IllegalTransition(Conflict):
    """A lifecycle transition that the state machine does not allow."""

    code, title = "illegal_transition", "Illegal status transition"


class ValidationFailed(DomainError):
    """Input that is well-formed but wrong; errors name each field."""

    status, code, title = 422, "validation_error", "Validation failed"


def field_error(field: str, message: str, code: str | None = None) -> ValidationFailed:
    """A validation failure on one field; `code`, when given, names the rule for clients to branch on."""
    error = {"field": field, "message": message}
    if code:
        error["code"] = code
    return ValidationFailed(f"{field}: {message}", errors=[error])


def _loc(loc: tuple[Any, ...] | list[Any]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:
            parts.append(("." if parts else "") + str(item))
    return "".join(parts)


def _validation_problem(exc: RequestValidationError) -> dict[str, Any]:
    errors = []
    for err in exc.errors():
        message = str(err.get("msg", "invalid"))
        if err.get("type") == "json_invalid":
            ctx = err.get("ctx") or {}
            message = f"malformed JSON: {ctx.get('error', message)}"
        elif err.get("type") == "extra_forbidden":
            message = "unknown field"
        errors.append({"field": _loc(err.get("loc", ())), "message": message})
    first = errors[0] if errors else {"field": "body", "message": "invalid"}
    body = ValidationFailed(f"{first['field']}: {first['message']}", errors=errors).problem()
    return body


def problem_response(body: dict[str, Any], headers: dict[str, str] | None = None) -> JSONResponse:
    """A JSONResponse with the problem media type."""
    return JSONResponse(body, status_code=int(body["status"]), media_type=PROBLEM, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    """Render every error once, as problem+json; anything unexpected is masked."""

    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return problem_response(exc.problem(), headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return problem_response(_validation_problem(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized", 403: "forbidden"}
        body = {
            "type": "about:blank",
            "title": str(exc.detail) if exc.status_code != 404 else "Not found",
            "status": exc.status_code,
            "detail": str(exc.detail),
            "code": codes.get(exc.status_code, "http_error"),
        }
        return problem_response(body, dict(exc.headers) if exc.headers else None)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        body = {
            "type": "about:blank",
            "title": "Internal server error",
            "status": 500,
            "detail": "An internal error occurred; it has been logged.",
            "code": "internal_error",
        }
        return problem_response(body)


def dumps(obj: Any) -> str:
    """JSON for audit and outbox payloads (dates and UUIDs as strings)."""
    return json.dumps(obj, default=str, ensure_ascii=False)
