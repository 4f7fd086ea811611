"""The caller as their API key makes them."""

from __future__ import annotations

from typing import Self

from pydantic import BaseModel, Field

from microfab.access import Principal, Role


class CallerPublic(BaseModel):
    """Who the key in the request is: its role and what it is limited to."""

    key_id: str
    role: Role
    factory_id: str | None = Field(description="The factory an operator key sees.")
    customer_id: str | None = Field(description="The customer a customer key acts for.")
    person_id: str | None = Field(
        description="The person an operator key belongs to; their work is at /v1/me/work."
    )

    @classmethod
    def of(cls, caller: Principal) -> Self:
        return cls(
            key_id=caller.key_id,
            role=caller.role,
            factory_id=caller.factory_id,
            customer_id=caller.customer_id,
            person_id=caller.person_id,
        )
