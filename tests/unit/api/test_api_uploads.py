"""Uploads kept and ordered through the API; estimates in quote and order answers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx
import pytest
import trimesh

if TYPE_CHECKING:
    from conftest import Api

DESTINATION = {"lat": 52.53, "lon": 13.41, "label": "Berlin"}


def cube(size: float = 20.0) -> bytes:
    data: bytes = trimesh.creation.box((size, size, size)).export(file_type="stl")
    return data


def upload(api: Api, data: bytes, who: str = "customer", **params: str) -> httpx.Response:
    return api.client.post(
        "/v1/uploads",
        params={"filename": "part.stl", **params},
        content=data,
        headers=api.headers(who) | {"Content-Type": "application/octet-stream"},
    )


def print_line(upload_id: str | None, **changes: Any) -> dict[str, Any]:
    line = {"product": "custom-print", "quantity": 1, "material": "pla",
            "params": {"colour": "red"}, "upload_id": upload_id}  # fmt: skip
    return line | changes


def assert_problem(response: httpx.Response, status: int, detail: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert detail in response.json()["detail"]


def test_an_upload_answers_201_with_its_id_and_the_same_file_again_200(api: Api) -> None:
    first = upload(api, cube())
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["id"].startswith("upl_")
    assert body["customer_id"] == "cust-1"
    assert body["estimate"]["source"] == "upload"
    assert body["estimate"]["processes"][0]["process"] == "fdm"
    assert first.headers["Location"].endswith(f"/v1/uploads/{body['id']}")
    again = upload(api, cube())
    assert again.status_code == 200
    assert again.json()["id"] == body["id"]


def test_an_upload_can_be_read_back_by_its_customer_only(api: Api) -> None:
    upload_id = upload(api, cube()).json()["id"]
    mine = api.get(f"/v1/uploads/{upload_id}", "customer")
    assert mine.status_code == 200
    assert mine.json()["filename"] == "part.stl"
    assert api.get(f"/v1/uploads/{upload_id}", "admin").status_code == 200
    assert_problem(api.get(f"/v1/uploads/{upload_id}", "other-customer"), 404, "no upload")


def test_an_upload_by_a_planner_names_the_customer(api: Api) -> None:
    assert_problem(upload(api, cube(), "planner"), 422, "say which customer the upload is for")
    done = upload(api, cube(), "planner", customer_id="cust-9")
    assert done.status_code == 201
    assert done.json()["customer_id"] == "cust-9"


def test_an_uploaded_model_is_quoted_and_ordered(api: Api) -> None:
    upload_id = upload(api, cube(30)).json()["id"]
    body = {"destination": DESTINATION, "lines": [print_line(upload_id, quantity=2)]}
    quote = api.post("/v1/quotes", body, "customer")
    assert quote.status_code == 200, quote.text
    quoted = quote.json()
    assert quoted["lines"][0]["estimate"]["design"] == upload_id
    order = api.post("/v1/orders", body, "customer", {"Idempotency-Key": "u-1"})
    assert order.status_code == 201, order.text
    line = order.json()["lines"][0]
    assert line["upload_id"] == upload_id
    assert line["estimate"] == quoted["lines"][0]["estimate"]
    assert order.json()["price"] == quoted["best"]["price"]
    again = api.post("/v1/orders", body, "customer", {"Idempotency-Key": "u-1"})
    assert again.status_code == 200
    assert again.json()["id"] == order.json()["id"]
    shown = api.get(f"/v1/orders/{order.json()['id']}", "customer").json()
    assert shown["lines"][0]["estimate"] == line["estimate"]


def test_a_template_order_shows_the_estimate_it_was_priced_with(api: Api) -> None:
    order = api.place()
    estimate = order["lines"][0]["estimate"]
    assert estimate["source"] == "template"
    assert estimate["design"] == "phone-grip"
    assert estimate["version"] == 1
    assert len(estimate["params_hash"]) == 16
    assert estimate["processes"][0]["machine"] == "Prusa MK4"
    assert estimate["processes"][0]["minutes"] > 0


@pytest.mark.parametrize(
    ("line", "detail"),
    [
        (print_line("upl_0123456789abcdef"), "lines[0]: there is no upload 'upl_0123456789abcdef'"),
        (print_line(None), "lines[0]: product 'custom-print' is made from your own model"),
        (
            {"product": "phone-grip", "quantity": 1, "upload_id": "upl_0123456789abcdef"},
            "lines[0]: product 'phone-grip' is not made from an upload",
        ),
    ],
)
def test_bad_upload_lines_are_422_with_the_reason(
    api: Api, line: dict[str, Any], detail: str
) -> None:
    body = {"destination": DESTINATION, "lines": [line]}
    assert_problem(api.post("/v1/quotes", body, "customer"), 422, detail)
    assert_problem(api.post("/v1/orders", body, "customer"), 422, detail)
    assert api.order_count() == 0


def test_another_customers_upload_cannot_be_ordered(api: Api) -> None:
    upload_id = upload(api, cube(), "other-customer").json()["id"]
    body = {"destination": DESTINATION, "lines": [print_line(upload_id)]}
    assert_problem(
        api.post("/v1/orders", body, "customer"), 422, f"no upload '{upload_id}' of customer cust-1"
    )


def test_an_upload_too_big_for_every_printer_is_422_and_not_kept(api: Api) -> None:
    response = upload(api, cube(400))
    assert_problem(response, 422, "the part is 400 × 400 × 400 mm; the machine holds at most")
    assert api.data.uploads == {}
