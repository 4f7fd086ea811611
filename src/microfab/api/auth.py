"""Who is calling and what they may see.

A request carries an API key as ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``; only
the key's SHA-256 digest is looked up. Admins and planners see everything, an operator only
their factory and the work routed to it, a customer only their own orders. Something a caller
may not see is reported as not found, worded the same whether it exists or not.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from microfab.access import Principal, Role, hash_secret
from microfab.api.deps import ServicesDep
from microfab.errors import AuthenticationFailed, NotFound, PermissionDenied

_bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer mfk_...`")
_api_key = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="An API key: `X-API-Key: mfk_...`"
)

EVERYONE = (Role.ADMIN, Role.PLANNER, Role.OPERATOR, Role.CUSTOMER)
STAFF = (Role.ADMIN, Role.PLANNER, Role.OPERATOR)
BUYERS = (Role.ADMIN, Role.PLANNER, Role.CUSTOMER)
PLANNERS = (Role.ADMIN, Role.PLANNER)


def authenticate(
    services: ServicesDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    header: Annotated[str | None, Depends(_api_key)],
) -> Principal:
    """The caller whose key the request carries, or ``AuthenticationFailed``."""
    secret = header or (bearer.credentials if bearer else None)
    if not secret:
        raise AuthenticationFailed(
            "this needs an API key: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'"
        )
    with services.uow() as uow:
        key = uow.api_keys.by_hash(hash_secret(secret))
    if key is None:
        raise AuthenticationFailed(
            "unknown API key: check it, or create one with `microfab apikey create`"
        )
    return key.principal


def allow(*roles: Role) -> Callable[[Principal], Principal]:
    """A dependency that admits callers with one of ``roles`` and refuses the rest (403)."""

    def admitted(caller: Annotated[Principal, Depends(authenticate)]) -> Principal:
        caller.require(*roles)
        return caller

    return admitted


def unseen(caller: Principal, kind: str, identifier: str) -> NotFound:
    """The not-found error for something missing or out of the caller's sight."""
    if caller.role is Role.CUSTOMER:
        return NotFound(f"no {kind} {identifier!r} for this customer")
    if caller.role is Role.OPERATOR:
        return NotFound(f"no {kind} {identifier!r} at factory {caller.factory_id!r}")
    return NotFound(f"no {kind} {identifier!r}")


def check_factory(caller: Principal, factory_id: str) -> None:
    """An operator may look only at their own factory."""
    if caller.role is Role.OPERATOR and factory_id != caller.factory_id:
        raise PermissionDenied(
            f"an operator key for {caller.factory_id!r} may not see factory {factory_id!r}"
        )


def factory_scope(caller: Principal, requested: str | None) -> str | None:
    """The factory a listing is limited to: an operator's own, whatever they asked."""
    if caller.role is not Role.OPERATOR:
        return requested
    if requested is not None:
        check_factory(caller, requested)
    return caller.factory_id


def customer_scope(caller: Principal, requested: str | None) -> str | None:
    """The customer a listing is limited to: a customer key sees only its own orders."""
    if caller.role is not Role.CUSTOMER:
        return requested
    if requested not in (None, caller.customer_id):
        raise PermissionDenied("a customer key may list only its own orders")
    return caller.customer_id
