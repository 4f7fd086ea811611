"""Who may do what: API keys and roles.

Keys are random 32-byte tokens shown once at creation; only their SHA-256 digest is stored.
A fast digest is enough here because the tokens carry 256 bits of entropy: there is nothing to
guess, so a slow password hash would only slow every request.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from microfab.errors import InvalidInput, PermissionDenied
from microfab.orders.model import NORMAL_PRIORITY

KEY_PREFIX = "mfk_"


class Role(StrEnum):
    ADMIN = "admin"
    PLANNER = "planner"
    OPERATOR = "operator"
    CUSTOMER = "customer"


@dataclass(frozen=True)
class ApiKey:
    id: str
    name: str
    role: Role
    key_hash: str
    created_at: datetime
    factory_id: str | None = None
    customer_id: str | None = None
    person_id: str | None = None
    """The person at the factory an operator key belongs to, for their own work list."""

    def __post_init__(self) -> None:
        if self.role is Role.OPERATOR and not self.factory_id:
            raise InvalidInput("an operator key needs --factory: the factory it may see")
        if self.role is Role.CUSTOMER and not self.customer_id:
            raise InvalidInput("a customer key needs --customer: the customer it acts for")
        if self.person_id is not None and self.role is not Role.OPERATOR:
            raise InvalidInput(
                "--person names the operator a key belongs to: use it with --role operator"
            )

    @property
    def principal(self) -> Principal:
        return Principal(self.id, self.role, self.factory_id, self.customer_id, self.person_id)


@dataclass(frozen=True)
class Principal:
    """The caller of a request, as its key allows."""

    key_id: str
    role: Role
    factory_id: str | None = None
    customer_id: str | None = None
    person_id: str | None = None

    def require(self, *roles: Role) -> None:
        if self.role not in roles:
            allowed = ", ".join(r.value for r in roles)
            article = "an" if self.role.value[0] in "aeiou" else "a"
            raise PermissionDenied(
                f"{article} {self.role.value} key may not do this; it needs: {allowed}"
            )

    def customer_for(self, requested: str | None) -> str:
        """The customer an order is placed for: a customer key always places its own."""
        if self.role is Role.CUSTOMER:
            assert self.customer_id is not None
            if requested not in (None, self.customer_id):
                raise PermissionDenied("a customer key can place orders only for its own customer")
            return self.customer_id
        if self.role is Role.OPERATOR:
            raise PermissionDenied("an operator key may not place orders")
        if not requested:
            raise InvalidInput("say which customer the order is for (customer_id)")
        return requested

    def priority_for(self, requested: int | None) -> int | None:
        """The priority an order is placed with: only planners and admins may set one."""
        if requested not in (None, NORMAL_PRIORITY) and self.role not in (Role.ADMIN, Role.PLANNER):
            raise PermissionDenied(
                f"a {self.role.value} key may not set an order's priority; leave it out "
                "(a planner can re-prioritise the order later)"
            )
        return requested

    def can_see(self, customer_id: str, factory_id: str | None) -> bool:
        match self.role:
            case Role.ADMIN | Role.PLANNER:
                return True
            case Role.CUSTOMER:
                return customer_id == self.customer_id
            case Role.OPERATOR:
                return factory_id is not None and factory_id == self.factory_id


def new_secret() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
