"""What whoever runs the API relies on: health, metrics, the OpenAPI document, routing errors."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

import pytest

from microfab import __version__
from microfab.bootstrap import Services
from microfab.memory_store import MemoryUnitOfWork

if TYPE_CHECKING:
    from conftest import Api

OPERATIONS = {
    "getNetwork",
    "listFactories",
    "getFactory",
    "getFactorySchedule",
    "getPersonWork",
    "getCaller",
    "getMyWork",
    "listMaintenance",
    "bookMaintenance",
    "cancelMaintenance",
    "listProducts",
    "getProduct",
    "previewProduct",
    "uploadModel",
    "getUpload",
    "createQuote",
    "placeOrder",
    "getOrder",
    "listOrders",
    "cancelOrder",
    "prioritiseOrder",
    "listJobs",
    "getJob",
    "health",
    "metrics",
}


def _refuse(self: MemoryUnitOfWork) -> MemoryUnitOfWork:
    raise ConnectionError("database is down")


@pytest.fixture
def database_down(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(MemoryUnitOfWork, "__enter__", _refuse)


def test_health_reports_the_database_and_the_network_without_a_key(
    api: Api, services: Services
) -> None:
    response = api.get("/healthz", None)

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "network": services.network.name,
        "network_time": "2026-03-02T08:00:00Z",
    }


def test_health_answers_503_while_the_database_is_away(api: Api, database_down: None) -> None:
    response = api.get("/healthz", None)

    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.json()["database"] == "unavailable: ConnectionError"


def test_metrics_count_requests_by_route_template_and_orders_by_state(api: Api) -> None:
    order = api.place()
    api.get(f"/v1/orders/{order['id']}")
    api.get("/v1/orders/ord_missing")

    response = api.get("/metrics", None)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert 'microfab_http_requests_total{method="POST",route="/v1/orders",status="201"} 1.0' in text
    assert (
        'microfab_http_requests_total{method="GET",route="/v1/orders/{order_id}",status="404"} 1.0'
        in text
    )
    assert 'microfab_http_request_duration_seconds_count{method="POST",route="/v1/orders"}' in text
    assert 'microfab_orders{state="placed"} 1.0' in text
    assert 'microfab_orders{state="delivered"} 0.0' in text


def test_metrics_still_answer_while_the_database_is_away(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    api.get("/healthz", None)
    monkeypatch.setattr(MemoryUnitOfWork, "__enter__", _refuse)

    response = api.get("/metrics", None)

    assert response.status_code == 200
    assert 'route="/healthz",status="200"' in response.text
    assert "microfab_orders{" not in response.text


def test_every_operation_has_a_stable_unique_id(api: Api) -> None:
    document = api.get("/openapi.json", None).json()

    ids = [op["operationId"] for path in document["paths"].values() for op in path.values()]
    assert set(ids) == OPERATIONS
    assert Counter(ids).most_common(1)[0][1] == 1
    assert document["info"] == {
        "title": "microfab",
        "version": __version__,
        "description": document["info"]["description"],
    }


def test_the_openapi_document_describes_problems_and_keys(api: Api) -> None:
    document = api.get("/openapi.json", None).json()

    cancel = document["paths"]["/v1/orders/{order_id}/cancel"]["post"]
    assert "application/problem+json" in cancel["responses"]["409"]["content"]
    assert set(document["components"]["securitySchemes"]) == {"HTTPBearer", "APIKeyHeader"}
    place = document["paths"]["/v1/orders"]["post"]
    assert "Idempotency-Key" in [p["name"] for p in place["parameters"]]


def test_the_docs_are_served_without_a_key(api: Api) -> None:
    assert api.get("/docs", None).status_code == 200


def test_an_unknown_path_is_a_problem(api: Api) -> None:
    response = api.get("/v2/orders")

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "there is no /v2/orders; the API is described at /docs",
        "instance": "/v2/orders",
    }


def test_a_wrong_method_is_a_problem_that_names_the_allowed_ones(api: Api) -> None:
    response = api.client.delete("/v1/orders", headers=api.headers("admin"))

    assert response.status_code == 405
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["Allow"] == "GET, POST"
    assert response.json()["detail"] == "DELETE is not allowed on /v1/orders; use GET, POST"
