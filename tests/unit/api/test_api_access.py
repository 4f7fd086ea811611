"""Who may do what: API keys, roles, and orders and factories out of a caller's sight."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from microfab.bootstrap import Services

if TYPE_CHECKING:
    from conftest import Api


def test_a_request_without_a_key_is_refused_with_how_to_send_one(
    api: Api, body: dict[str, Any]
) -> None:
    response = api.post("/v1/orders", body, who=None)

    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["detail"] == (
        "this needs an API key: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'"
    )
    assert api.order_count() == 0


def test_a_wrong_key_is_refused(api: Api, body: dict[str, Any]) -> None:
    response = api.client.post("/v1/orders", json=body, headers={"X-API-Key": "mfk_guessed"})

    assert response.status_code == 401
    assert response.json()["detail"] == (
        "unknown API key: check it, or create one with `microfab apikey create`"
    )
    assert api.order_count() == 0


def test_a_key_is_accepted_in_the_x_api_key_header(api: Api) -> None:
    response = api.client.get("/v1/catalog", headers={"X-API-Key": "mfk_test_customer"})

    assert response.status_code == 200


def test_a_customer_gets_not_found_for_another_customers_order(api: Api) -> None:
    theirs = api.place("other-customer")

    hidden = api.get(f"/v1/orders/{theirs['id']}", "customer")
    missing = api.get("/v1/orders/ord_nothing", "customer")

    assert hidden.status_code == 404
    assert hidden.json()["detail"] == f"no order {theirs['id']!r} for this customer"
    assert missing.json()["detail"] == "no order 'ord_nothing' for this customer"


def test_a_customer_cannot_cancel_another_customers_order(api: Api) -> None:
    theirs = api.place("other-customer")

    response = api.post(f"/v1/orders/{theirs['id']}/cancel", who="customer")

    assert response.status_code == 404
    assert api.get(f"/v1/orders/{theirs['id']}").json()["state"] == "placed"


def test_a_customer_lists_only_their_own_orders(api: Api) -> None:
    mine = api.place("customer")
    api.place("other-customer")

    listed = api.get("/v1/orders", "customer").json()["items"]
    asked_for_others = api.get("/v1/orders", "customer", params={"customer_id": "cust-2"})

    assert [o["id"] for o in listed] == [mine["id"]]
    assert asked_for_others.status_code == 403
    assert asked_for_others.json()["detail"] == "a customer key may list only its own orders"


def test_a_customer_cannot_order_for_another_customer(api: Api, body: dict[str, Any]) -> None:
    response = api.post("/v1/orders", body | {"customer_id": "cust-2"}, "customer")

    assert response.status_code == 403
    assert response.json()["detail"] == (
        "a customer key can place orders only for its own customer"
    )
    assert api.order_count() == 0


def test_an_operator_cannot_place_orders(api: Api, body: dict[str, Any]) -> None:
    response = api.post("/v1/orders", body, "operator")

    assert response.status_code == 403
    assert response.json()["detail"] == "an operator key may not place orders"


def test_an_operator_sees_orders_routed_to_their_factory_only(api: Api, services: Services) -> None:
    order = api.place()
    services.controller(seed=1).step()

    own = api.get(f"/v1/orders/{order['id']}", "operator")
    other = api.get(f"/v1/orders/{order['id']}", "hamburg-operator")
    listed = api.get("/v1/orders", "hamburg-operator").json()["items"]

    assert own.status_code == 200
    assert other.status_code == 404
    assert other.json()["detail"] == f"no order {order['id']!r} at factory 'hamburg'"
    assert listed == []


def test_an_operator_cannot_look_at_another_factory(api: Api) -> None:
    response = api.get("/v1/factories/berlin", "hamburg-operator")

    assert response.status_code == 403
    assert response.json()["detail"] == (
        "an operator key for 'hamburg' may not see factory 'berlin'"
    )


def test_an_operator_cannot_list_another_factorys_orders(api: Api) -> None:
    response = api.get("/v1/orders", "operator", params={"factory_id": "hamburg"})

    assert response.status_code == 403


@pytest.mark.parametrize(
    ("who", "path"),
    [
        ("customer", "/v1/network"),
        ("customer", "/v1/factories"),
        ("customer", "/v1/jobs"),
        ("operator", "/v1/network"),
    ],
)
def test_a_role_without_the_right_is_refused_with_the_roles_that_have_it(
    api: Api, who: str, path: str
) -> None:
    response = api.get(path, who)

    assert response.status_code == 403
    assert response.json()["title"] == "Permission denied"
    assert "it needs: admin, planner" in response.json()["detail"]


def test_an_operator_cannot_cancel_orders(api: Api, services: Services) -> None:
    order = api.place()
    services.controller(seed=1).step()

    response = api.post(f"/v1/orders/{order['id']}/cancel", who="operator")

    assert response.status_code == 403
