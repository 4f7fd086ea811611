"""Placing, reading, listing and cancelling orders over HTTP."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from microfab.bootstrap import Services
from microfab.clock import ManualClock
from microfab.orders.model import Order, Shipment

if TYPE_CHECKING:
    from conftest import Api


def deliver(order: Order, clock: ManualClock) -> None:
    """Walk a stored order through its whole life to delivered."""
    now = clock.now()
    order.route_to("berlin", now)
    order.schedule(now, now)
    order.start_production(now)
    order.finish(now)
    order.ship(Shipment("berlin", "parcel", 2.0, now, now + timedelta(hours=3), 455, 0.01))
    order.deliver(now + timedelta(hours=3))


def test_placing_an_order_answers_201_with_its_location_and_price(api: Api, body: dict) -> None:
    response = api.post("/v1/orders", body, "customer")

    assert response.status_code == 201
    order = response.json()
    assert response.headers["Location"].endswith(f"/v1/orders/{order['id']}")
    assert order["customer_id"] == "cust-1"
    assert order["state"] == "placed"
    assert order["price"]["currency"] == "EUR"
    assert order["price"]["amount"].replace(".", "").isdigit()
    assert order["placed_at"] == "2026-03-02T08:00:00Z"
    assert order["lines"][0]["params"] == {"name": "Mia", "style": "embossed", "colour": "red"}
    assert order["history"] == [{"at": "2026-03-02T08:00:00Z", "state": "placed", "note": ""}]


def test_an_admin_places_an_order_for_the_customer_it_names(api: Api) -> None:
    order = api.place("admin", customer_id="cust-9")

    assert order["customer_id"] == "cust-9"


def test_a_retry_with_the_same_idempotency_key_returns_the_same_order(api: Api, body: dict) -> None:
    first = api.post("/v1/orders", body, "customer", headers={"Idempotency-Key": "k-1"})
    again = api.post("/v1/orders", body, "customer", headers={"Idempotency-Key": "k-1"})

    assert first.status_code == 201
    assert again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert api.order_count() == 1


def test_the_same_idempotency_key_with_another_body_is_a_conflict(api: Api, body: dict) -> None:
    first = api.post("/v1/orders", body, "customer", headers={"Idempotency-Key": "k-1"})
    body["lines"][0]["quantity"] = 3
    other = api.post("/v1/orders", body, "customer", headers={"Idempotency-Key": "k-1"})

    assert other.status_code == 409
    problem = other.json()
    assert problem["type"] == "urn:microfab:problem:idempotency-mismatch"
    assert problem["detail"] == (
        f"Idempotency-Key 'k-1' was used for a different order ({first.json()['id']}); "
        "use a new key for a new order"
    )
    assert api.order_count() == 1


def test_getting_an_order_shows_its_history_and_tasks(api: Api, services: Services) -> None:
    placed = api.place()
    services.controller(seed=1).step()

    response = api.get(f"/v1/orders/{placed['id']}", "customer")

    assert response.status_code == 200
    order = response.json()
    assert order["factory_id"] == "berlin"
    assert [h["state"] for h in order["history"]] == [
        "placed",
        "routed",
        "scheduled",
        "in_production",
    ]
    assert [t["operation"] for t in order["tasks"]] == ["print", "inspect and pack"]
    assert order["tasks"][0]["state"] == "running"


def test_a_delivered_order_shows_its_shipment(
    api: Api, services: Services, clock: ManualClock
) -> None:
    placed = api.place()
    deliver(api.data.orders[placed["id"]], clock)

    order = api.get(f"/v1/orders/{placed['id']}").json()

    assert order["state"] == "delivered"
    assert order["shipment"]["cost"] == {"amount": "4.55", "currency": "EUR"}
    assert order["delivered_at"] == "2026-03-02T11:00:00Z"


def test_orders_are_listed_newest_first_a_page_at_a_time(api: Api) -> None:
    ids = [api.place()["id"] for _ in range(5)]

    first = api.get("/v1/orders", params={"limit": 2}).json()
    second = api.get("/v1/orders", params={"limit": 2, "cursor": first["next_cursor"]}).json()
    last = api.get("/v1/orders", params={"limit": 2, "cursor": second["next_cursor"]}).json()

    pages = [first, second, last]
    assert [o["id"] for page in pages for o in page["items"]] == ids[::-1]
    assert last["next_cursor"] is None


def test_orders_are_listed_by_state_and_customer(api: Api) -> None:
    mine = api.place()
    theirs = api.place("other-customer")
    api.post(f"/v1/orders/{theirs['id']}/cancel", who="other-customer")

    placed = api.get("/v1/orders", params={"state": "placed"}).json()["items"]
    cancelled = api.get("/v1/orders", params={"state": "cancelled"}).json()["items"]
    for_cust_2 = api.get("/v1/orders", params={"customer_id": "cust-2"}).json()["items"]

    assert [o["id"] for o in placed] == [mine["id"]]
    assert [o["id"] for o in cancelled] == [theirs["id"]]
    assert [o["id"] for o in for_cust_2] == [theirs["id"]]


def test_cancelling_a_placed_order_records_the_reason(api: Api) -> None:
    placed = api.place()

    response = api.post(
        f"/v1/orders/{placed['id']}/cancel", {"reason": "changed my mind"}, "customer"
    )

    assert response.status_code == 200
    order = response.json()
    assert order["state"] == "cancelled"
    assert order["history"][-1]["note"] == "changed my mind"


def test_cancelling_an_order_in_production_is_an_illegal_transition(
    api: Api, services: Services
) -> None:
    placed = api.place()
    services.controller(seed=1).step()

    response = api.post(f"/v1/orders/{placed['id']}/cancel", who="customer")

    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == (
        f"order {placed['id']} is in_production and cannot become cancelled; "
        "from in_production it can become: failed, finished"
    )
    assert api.get(f"/v1/orders/{placed['id']}").json()["state"] == "in_production"


def test_cancelling_a_delivered_order_is_an_illegal_transition(
    api: Api, clock: ManualClock
) -> None:
    placed = api.place()
    deliver(api.data.orders[placed["id"]], clock)

    response = api.post(f"/v1/orders/{placed['id']}/cancel", who="planner")

    assert response.status_code == 409
    problem = response.json()
    assert problem["title"] == "Illegal state transition"
    assert problem["detail"] == (
        f"order {placed['id']} is delivered and cannot become cancelled; "
        "from delivered it can become: nothing (it is closed)"
    )
    assert problem["instance"] == f"/v1/orders/{placed['id']}/cancel"


def test_cancelling_an_unknown_order_is_not_found(api: Api) -> None:
    response = api.post("/v1/orders/ord_missing/cancel")

    assert response.status_code == 404
    assert response.json()["detail"] == "no order 'ord_missing'"


def test_the_schema_example_is_a_valid_order(api: Api, body: dict) -> None:
    example = api.get("/openapi.json", None).json()["components"]["schemas"]["OrderCreate"]
    sent = example["examples"][0]

    response = api.post("/v1/orders", sent, "admin")

    assert response.status_code == 201, response.text
    assert set(body) <= set(sent)


def test_a_planner_places_an_order_with_a_priority(api: Api) -> None:
    order = api.place("planner", customer_id="cust-1", priority=5)

    assert (order["priority"], order["prioritised_at"]) == (5, None)
    assert api.data.orders[order["id"]].priority == 5


def test_a_customer_may_not_give_its_own_order_a_priority(api: Api, body: dict) -> None:
    response = api.post("/v1/orders", body | {"priority": 5}, "customer")

    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == (
        "a customer key may not set an order's priority; leave it out "
        "(a planner can re-prioritise the order later)"
    )
    assert api.order_count() == 0


def test_a_retry_with_another_priority_is_another_request(api: Api, body: dict) -> None:
    body["customer_id"] = "cust-1"
    first = api.post("/v1/orders", body, "planner", headers={"Idempotency-Key": "k-1"})
    other = api.post(
        "/v1/orders", body | {"priority": 3}, "planner", headers={"Idempotency-Key": "k-1"}
    )

    assert (first.status_code, other.status_code) == (201, 409)
    assert api.order_count() == 1


def test_a_planner_re_prioritises_an_order_and_its_time_is_kept(
    api: Api, clock: ManualClock
) -> None:
    placed = api.place()
    clock.advance(timedelta(minutes=5))

    response = api.post(f"/v1/orders/{placed['id']}/priority", {"priority": 8}, "planner")

    assert response.status_code == 200, response.text
    order = response.json()
    assert (order["priority"], order["prioritised_at"]) == (8, "2026-03-02T08:05:00Z")
    assert api.get(f"/v1/orders/{placed['id']}", "customer").json()["priority"] == 8


def test_only_planners_and_admins_re_prioritise(api: Api) -> None:
    placed = api.place()

    for who in ("customer", "operator"):
        response = api.post(f"/v1/orders/{placed['id']}/priority", {"priority": 8}, who)
        assert response.status_code == 403, who
        assert response.json()["detail"].endswith("it needs: admin, planner")
    assert api.data.orders[placed["id"]].priority == 1


def test_a_priority_out_of_range_is_refused_with_its_bounds(api: Api) -> None:
    placed = api.place()

    for value in (0, 101, 2.5, "high"):
        response = api.post(f"/v1/orders/{placed['id']}/priority", {"priority": value})
        assert response.status_code == 422, value
        assert response.headers["content-type"] == "application/problem+json"
        assert "priority" in response.text
    assert api.data.orders[placed["id"]].priority == 1


def test_re_prioritising_a_delivered_order_is_an_illegal_transition(
    api: Api, clock: ManualClock
) -> None:
    placed = api.place()
    deliver(api.data.orders[placed["id"]], clock)

    response = api.post(f"/v1/orders/{placed['id']}/priority", {"priority": 8})

    assert response.status_code == 409
    assert response.json()["detail"] == (
        f"order {placed['id']} is delivered: its priority no longer changes anything; "
        "only an order not yet finished can be re-prioritised"
    )


def test_re_prioritising_an_unknown_order_is_not_found(api: Api) -> None:
    response = api.post("/v1/orders/ord_missing/priority", {"priority": 2})

    assert response.status_code == 404
    assert response.json()["detail"] == "no order 'ord_missing'"


def test_a_customer_may_name_the_normal_priority(api: Api) -> None:
    assert api.place("customer", priority=1)["priority"] == 1
