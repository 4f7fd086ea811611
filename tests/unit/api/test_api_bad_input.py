"""Bad input: each answers 4xx problem+json with a precise detail, and writes nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from conftest import Api


def with_line(body: dict[str, Any], **changes: Any) -> dict[str, Any]:
    body["lines"][0] |= changes
    return body


def assert_problem(response: Any, status: int, detail: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    assert problem["detail"] == detail
    assert {"type", "title", "instance"} <= set(problem)
    return problem


@pytest.mark.parametrize(
    ("change", "detail"),
    [
        ({"quantity": 0}, "body.lines[0].quantity: Input should be greater than 0"),
        ({"quantity": -3}, "body.lines[0].quantity: Input should be greater than 0"),
        ({"quantity": 1.5}, "body.lines[0].quantity: Input should be a valid integer"),
        ({"quantity": "2"}, "body.lines[0].quantity: Input should be a valid integer"),
        ({"colour": "red"}, "body.lines[0].colour: Extra inputs are not permitted"),
        ({"params": [1, 2]}, "body.lines[0].params: Input should be a valid dictionary"),
    ],
)
def test_a_line_that_breaks_the_schema_is_refused_with_its_field_path(
    api: Api, body: dict[str, Any], change: dict[str, Any], detail: str
) -> None:
    response = api.post("/v1/orders", with_line(body, **change), "customer")

    problem = assert_problem(response, 422, detail)
    assert problem["type"] == "urn:microfab:problem:invalid-request"
    assert problem["errors"][0]["loc"] == detail.split(":")[0]
    assert api.order_count() == 0


@pytest.mark.parametrize(
    ("change", "detail"),
    [
        (
            {"params": {"name": "Mia", "colour": "purple"}},
            "lines[0]: parameter 'colour' must be one of black, white, red, blue, green, orange, "
            "not 'purple'",
        ),
        (
            {"params": {"name": 42}},
            "lines[0]: parameter 'name' must be text, not 42",
        ),
        (
            {"params": {"name": "Maximilian Alexander"}},
            "lines[0]: parameter 'name' is 20 characters long; at most 12 fit",
        ),
        (
            {"params": {"size": 3}},
            "lines[0]: product 'phone-grip' has no parameter 'size'; it has: name, style, colour",
        ),
        (
            {"material": "brass"},
            "lines[0]: product 'phone-grip' cannot be made of 'brass'; "
            "choose one of: pla, petg, tpu",
        ),
    ],
)
def test_a_parameter_out_of_range_or_of_the_wrong_type_is_refused(
    api: Api, body: dict[str, Any], change: dict[str, Any], detail: str
) -> None:
    response = api.post("/v1/orders", with_line(body, **change), "customer")

    problem = assert_problem(response, 422, detail)
    assert problem["type"] == "urn:microfab:problem:invalid-parameter"
    assert api.order_count() == 0


def test_a_number_parameter_out_of_range_names_the_limit_and_unit(
    api: Api, body: dict[str, Any]
) -> None:
    line = {"product": "custom-insole", "quantity": 1, "params": {"foot_length_mm": 400}}
    body["lines"] = [line]

    response = api.post("/v1/orders", body, "customer")

    assert_problem(
        response,
        422,
        "lines[0]: parameter 'foot_length_mm' is 400 mm; the largest allowed is 320 mm",
    )
    assert api.order_count() == 0


def test_a_number_parameter_given_as_text_is_refused(api: Api, body: dict[str, Any]) -> None:
    line = {"product": "custom-insole", "quantity": 1, "params": {"foot_length_mm": "long"}}
    body["lines"] = [line]

    response = api.post("/v1/orders", body, "customer")

    assert_problem(
        response, 422, "lines[0]: parameter 'foot_length_mm' must be a number, not 'long'"
    )


def test_an_unknown_product_is_refused_with_the_known_ones(api: Api, body: dict[str, Any]) -> None:
    response = api.post("/v1/orders", with_line(body, product="teapot"), "customer")

    problem = assert_problem(response, 422, response.json()["detail"])
    assert problem["detail"].startswith("lines[0]: unknown product 'teapot'; known: ")
    assert "phone-grip" in problem["detail"]
    assert api.order_count() == 0


def test_malformed_json_is_refused_with_where_it_breaks(api: Api) -> None:
    response = api.client.post(
        "/v1/orders",
        content=b'{"lines": [',
        headers=api.headers("customer") | {"Content-Type": "application/json"},
    )

    problem = assert_problem(response, 422, "body: malformed JSON at character 11: Expecting value")
    assert problem["errors"] == [
        {
            "loc": "body",
            "msg": "malformed JSON at character 11: Expecting value",
            "type": "json_invalid",
        }
    ]
    assert api.order_count() == 0


def test_an_order_without_lines_or_destination_names_both_fields(api: Api) -> None:
    response = api.post("/v1/orders", {"lines": []}, "customer")

    assert_problem(
        response,
        422,
        "body.destination: Field required; "
        "body.lines: List should have at least 1 item after validation, not 0",
    )


def test_a_destination_off_the_globe_is_refused(api: Api, body: dict[str, Any]) -> None:
    body["destination"]["lat"] = 95

    response = api.post("/v1/quotes", body, "customer")

    assert_problem(response, 422, "body.destination.lat: Input should be less than or equal to 90")


def test_an_admin_must_say_which_customer_an_order_is_for(api: Api, body: dict[str, Any]) -> None:
    response = api.post("/v1/orders", body, "admin")

    assert_problem(response, 422, "say which customer the order is for (customer_id)")
    assert api.order_count() == 0


def test_a_bad_query_parameter_is_refused(api: Api) -> None:
    response = api.get("/v1/orders", params={"state": "lost", "limit": 0})

    problem = assert_problem(response, 422, response.json()["detail"])
    assert [e["loc"] for e in problem["errors"]] == ["query.state", "query.limit"]
    assert problem["detail"].startswith("query.state: Input should be 'placed', 'routed'")


def test_a_quote_for_an_unknown_product_is_refused(api: Api, body: dict[str, Any]) -> None:
    response = api.post("/v1/quotes", with_line(body, product="teapot"), "customer")

    assert response.status_code == 422
    assert response.json()["detail"].startswith("lines[0]: unknown product 'teapot'")


def test_a_body_over_a_mebibyte_is_refused_before_it_is_read(
    api: Api, body: dict[str, Any]
) -> None:
    body["destination"]["label"] = "x" * (1024 * 1024)

    response = api.post("/v1/orders", body, "customer")

    size = len(response.request.content)
    assert_problem(response, 413, f"the request body is {size} bytes; at most 1048576 are accepted")
    assert api.order_count() == 0


def test_a_streamed_body_over_a_mebibyte_is_refused(api: Api) -> None:
    chunks = (b" " * 65536 for _ in range(20))

    response = api.client.post(
        "/v1/quotes",
        content=chunks,
        headers=api.headers("customer") | {"Content-Type": "application/json"},
    )

    assert_problem(response, 413, "the request body is over 1048576 bytes, the most accepted")
