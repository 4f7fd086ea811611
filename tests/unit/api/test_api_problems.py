"""The one table from microfab's errors to HTTP statuses, and the answer to the unexpected."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from microfab import errors
from microfab.api.problems import STATUS, field_path, status_for
from microfab.bootstrap import Services

if TYPE_CHECKING:
    from conftest import Api


def _every_error_class() -> list[type[errors.MicrofabError]]:
    found: list[type[errors.MicrofabError]] = []
    pending = [errors.MicrofabError]
    while pending:
        for sub in pending.pop().__subclasses__():
            found.append(sub)
            pending.append(sub)
    return found


@pytest.mark.parametrize("error", _every_error_class(), ids=lambda cls: cls.__name__)
def test_every_error_class_has_a_status_of_its_own_or_its_parents(
    error: type[errors.MicrofabError],
) -> None:
    assert any(cls in STATUS for cls in error.__mro__)


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (errors.InvalidParameter("x"), 422),
        (errors.NoCapableFactory("x"), 422),
        (errors.NotFound("x"), 404),
        (errors.StaleState("x"), 409),
        (errors.OutOfStock("x"), 409),
        (errors.AuthenticationFailed("x"), 401),
        (errors.PermissionDenied("x"), 403),
        (errors.MachineError("x"), 502),
        (errors.MicrofabError("x"), 500),
    ],
)
def test_an_error_takes_the_status_of_its_nearest_mapped_class(
    error: errors.MicrofabError, status: int
) -> None:
    assert status_for(error) == status


def test_a_field_path_reads_like_the_json_it_points_into() -> None:
    assert field_path(("body", "lines", 0, "params", "name")) == "body.lines[0].params.name"


def test_an_unexpected_failure_is_a_500_problem_without_internals(
    api: Api, services: Services, body: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(services.orders, "quote", broken)
    client = type(api.client)(api.client.app, raise_server_exceptions=False)

    response = client.post("/v1/quotes", json=body, headers=api.headers("customer"))

    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert "secret" not in response.text
    assert response.json()["detail"] == "the server failed unexpectedly; its log has the details"
