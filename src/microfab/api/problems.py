"""Errors as RFC 9457 problem details (``application/problem+json``).

``STATUS`` is the one table from microfab's exception tree to HTTP status codes. The handlers
below turn those errors, request validation failures and routing misses (404/405) into problem
documents with ``type``, ``title``, ``status``, ``detail`` and ``instance``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException
from starlette.routing import compile_path

from microfab.catalog.errors import (
    GenerationLimit,
    NotManufacturable,
    UploadRejected,
    UploadTooLarge,
)
from microfab.errors import (
    AuthenticationFailed,
    Conflict,
    IdempotencyMismatch,
    IllegalTransition,
    InvalidInput,
    InvalidNetwork,
    InvalidParameter,
    MachineError,
    MicrofabError,
    NoCapableFactory,
    NotFound,
    OutOfStock,
    PermissionDenied,
    StaleState,
)

PROBLEM_JSON = "application/problem+json"
TYPE_PREFIX = "urn:microfab:problem:"
SHOWN_VALIDATION_ERRORS = 3

STATUS: Mapping[type[MicrofabError], int] = {
    InvalidInput: 422,
    InvalidNetwork: 422,
    InvalidParameter: 422,
    NoCapableFactory: 422,
    NotFound: 404,
    Conflict: 409,
    IllegalTransition: 409,
    IdempotencyMismatch: 409,
    StaleState: 409,
    OutOfStock: 409,
    AuthenticationFailed: 401,
    PermissionDenied: 403,
    MachineError: 502,
    NotManufacturable: 422,
    GenerationLimit: 422,
    UploadRejected: 422,
    UploadTooLarge: 413,
}


class Problem(BaseModel):
    """An error, as RFC 9457 describes it."""

    type: str = Field(examples=["urn:microfab:problem:illegal-transition"])
    title: str = Field(examples=["Illegal state transition"])
    status: int = Field(examples=[409])
    detail: str = Field(
        examples=[
            "order ord_1 is delivered and cannot become cancelled; from delivered it can "
            "become: nothing (it is closed)"
        ]
    )
    instance: str = Field(examples=["/v1/orders/ord_1/cancel"])


class FieldError(BaseModel):
    loc: str = Field(examples=["body.lines[0].quantity"])
    msg: str = Field(examples=["Input should be greater than 0"])
    type: str = Field(examples=["greater_than"])


class ValidationProblem(Problem):
    """A request that does not fit the schema: ``errors`` lists every field that is wrong."""

    errors: list[FieldError]


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_JSON


def status_for(error: MicrofabError) -> int:
    """The status of the nearest class in ``STATUS`` (500 for an error nobody mapped)."""
    for cls in type(error).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500


def problem(
    request: Request,
    status: int,
    detail: str,
    *,
    title: str | None = None,
    kind: str = "about:blank",
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> ProblemResponse:
    body = {
        "type": kind,
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        **extra,
    }
    return ProblemResponse(body, status_code=status, headers=headers)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for the problems a route may answer with."""
    responses: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        model = ValidationProblem if status == 422 else Problem
        responses[status] = {
            "model": model,
            "description": HTTPStatus(status).phrase,
            "content": {PROBLEM_JSON: {}},
        }
    return responses


def _slug(cls: type[MicrofabError]) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", cls.__name__).lower()


async def _microfab_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, MicrofabError)
    status = status_for(exc)
    headers = None
    if isinstance(exc, AuthenticationFailed):
        headers = {"WWW-Authenticate": 'Bearer realm="microfab"'}
    return problem(
        request,
        status,
        exc.message,
        title=exc.title,
        kind=TYPE_PREFIX + _slug(type(exc)),
        headers=headers,
    )


def field_path(loc: Sequence[int | str]) -> str:
    """``("body", "lines", 0, "quantity")`` → ``body.lines[0].quantity``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "request"


def _field_error(error: Mapping[str, Any]) -> FieldError:
    if error["type"] == "json_invalid":
        at = error["loc"][-1] if isinstance(error["loc"][-1], int) else 0
        reason = error.get("ctx", {}).get("error", "")
        return FieldError(
            loc="body", msg=f"malformed JSON at character {at}: {reason}", type="json_invalid"
        )
    return FieldError(loc=field_path(error["loc"]), msg=str(error["msg"]), type=error["type"])


def validation_detail(errors: Sequence[FieldError]) -> str:
    """Every wrong field and why, on one line (the first few, then a count)."""
    shown = "; ".join(f"{e.loc}: {e.msg}" for e in errors[:SHOWN_VALIDATION_ERRORS])
    hidden = len(errors) - SHOWN_VALIDATION_ERRORS
    return shown + (f" (and {hidden} more)" if hidden > 0 else "")


async def _validation_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [_field_error(e) for e in exc.errors()]
    return problem(
        request,
        422,
        validation_detail(errors),
        title="Invalid request",
        kind=TYPE_PREFIX + "invalid-request",
        errors=[e.model_dump() for e in errors],
    )


async def _http_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, HTTPException)
    detail = str(exc.detail)
    if exc.status_code == 404 and detail == HTTPStatus.NOT_FOUND.phrase:
        detail = f"there is no {request.url.path}; the API is described at /docs"
    elif exc.status_code == 405:
        allowed = ", ".join(allowed_methods(request))
        detail = f"{request.method} is not allowed on {request.url.path}; use {allowed}"
        return problem(request, 405, detail, headers={"Allow": allowed})
    return problem(request, exc.status_code, detail, headers=exc.headers)


def allowed_methods(request: Request) -> list[str]:
    """Every method the API takes on this path, from its OpenAPI document.

    Starlette's own 405 names only the methods of the first route that matched the path.
    """
    methods: set[str] = set()
    for template, operations in request.app.openapi()["paths"].items():
        if compile_path(template)[0].match(request.url.path):
            methods |= {method.upper() for method in operations}
    return sorted(methods)


async def _unexpected(request: Request, exc: Exception) -> ProblemResponse:
    # Starlette raises the exception again after this answer, so the server logs it once.
    return problem(request, 500, "the server failed unexpectedly; its log has the details")


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(MicrofabError, _microfab_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
