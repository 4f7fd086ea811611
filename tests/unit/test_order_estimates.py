"""Geometry estimates priced into quotes, stored with order lines, and customers' uploads."""

from __future__ import annotations

from dataclasses import replace

import pytest
import trimesh

from microfab.bootstrap import Services
from microfab.catalog.errors import NotManufacturable
from microfab.catalog.model import LineEstimate, ProcessEstimate
from microfab.errors import InvalidInput, NotFound
from microfab.network.model import Location, Network
from microfab.orders.model import Destination, OrderLine, step_minutes
from microfab.orders.service import LineRequest, OrderService, PlaceOrder
from microfab.storage import OrderQuery

BERLIN = Destination(Location(52.535, 13.20), "Berlin Spandau")


def grip(name: str = "Ada", quantity: int = 1) -> LineRequest:
    return LineRequest("phone-grip", quantity, {"name": name, "colour": "red"}, "pla")


def cube_stl(size: float = 20.0) -> bytes:
    data: bytes = trimesh.creation.box((size, size, size)).export(file_type="stl")
    return data


def custom_print(upload_id: str | None, quantity: int = 1) -> LineRequest:
    return LineRequest("custom-print", quantity, {"colour": "blue"}, "petg", upload_id)


def printing(estimate: LineEstimate | None) -> ProcessEstimate:
    assert estimate is not None
    found = estimate.for_process("fdm")
    assert found is not None
    return found


def test_a_quote_carries_the_estimate_of_the_design_it_priced(services: Services) -> None:
    quote = services.orders.quote([grip("Ada Lovelace", quantity=2)], BERLIN)
    estimate = quote.lines[0].estimate
    assert estimate is not None
    assert (estimate.source, estimate.design, estimate.version) == ("template", "phone-grip", 1)
    assert len(estimate.params_hash) == 16
    printed = printing(estimate)
    assert printed.profile == "Prusa MK4"
    assert printed.minutes > 5
    assert printed.material_g is not None
    assert printed.material_g > 1


def test_machine_minutes_come_from_the_estimate_not_the_duration_model(
    services: Services,
) -> None:
    quote = services.orders.quote([grip("Ada", quantity=2)], BERLIN)
    best = quote.best
    assert best is not None
    printed = printing(quote.lines[0].estimate)
    # print: 6 min set-up + 2 × estimate; inspect and pack: 2 × 3 min (duration model).
    assert best.machine_minutes == pytest.approx(6 + 2 * printed.minutes + 2 * 3, abs=0.1)
    model_minutes = 6 + 2 * (38 + 1.2 * 3) + 2 * 3
    assert best.machine_minutes != pytest.approx(model_minutes, abs=0.5)


def test_a_longer_name_prints_longer_and_costs_more(services: Services) -> None:
    short = services.orders.quote([grip("Al")], BERLIN)
    long = services.orders.quote([grip("Maximiliane")], BERLIN)
    assert printing(long.lines[0].estimate).minutes > printing(short.lines[0].estimate).minutes
    assert long.best is not None
    assert short.best is not None
    assert long.best.price_cents > short.best.price_cents


def test_the_placed_order_keeps_the_estimate_it_was_priced_with(services: Services) -> None:
    quote = services.orders.quote([grip("Ida")], BERLIN)
    order = services.orders.place(PlaceOrder("cust-1", (grip("Ida"),), BERLIN, "k1")).order
    assert order.lines[0].estimate == quote.lines[0].estimate
    assert quote.best is not None
    assert order.price_cents == quote.best.price_cents
    assert services.orders.get(order.id).lines[0].estimate == quote.lines[0].estimate


def test_one_design_is_built_and_estimated_once(services: Services) -> None:
    for key in ("a", "b", "c"):
        services.orders.place(PlaceOrder("cust-1", (grip("Ole"),), BERLIN, key))
    estimates = services.estimator.catalog.estimates
    assert (estimates.misses, estimates.hits) == (1, 2)


def test_a_product_without_a_template_keeps_its_duration_model(services: Services) -> None:
    lamp = LineRequest("desk-lamp", 1, {}, None)
    quote = services.orders.quote([lamp], BERLIN)
    assert quote.lines[0].estimate is None


def test_step_minutes_divide_the_estimate_by_the_machine_speed(network: Network) -> None:
    product = network.product("phone-grip")
    printer = next(m for m in network.factories[0].machines if m.process.value == "fdm")
    estimate = LineEstimate("template", "phone-grip", 1, "0" * 16, (72, 30, 4), (
        ProcessEstimate("fdm", "Prusa MK4", 20.0, material_g=5.0),
    ))  # fmt: skip
    line = OrderLine("phone-grip", 3, "pla", product.validate({}), estimate=estimate)
    fast = replace(printer, speed_factor=2.0)
    assert step_minutes(product, line, product.routing[0], printer) == 6 + 3 * 20.0
    assert step_minutes(product, line, product.routing[0], fast) == 6 + 3 * 10.0
    pack = product.routing[1]
    assert step_minutes(product, line, pack, printer) == pack.minutes(product, line.params, 3)
    pla = network.materials["pla"]
    assert line.material_units(product, pla) == pytest.approx(3 * 5.0 / 1000)


def test_an_order_service_without_an_estimator_prices_by_the_model(services: Services) -> None:
    plain = OrderService(services.uow, services.network, services.clock, services.ids)
    quote = plain.quote([grip()], BERLIN)
    assert quote.lines[0].estimate is None


# -- uploads -----------------------------------------------------------------------------------


def test_an_upload_gets_an_id_and_its_estimate_and_bytes_are_kept(services: Services) -> None:
    data = cube_stl()
    uploaded = services.uploads.add("cust-1", "cube.stl", data)
    upload = uploaded.upload
    assert uploaded.created
    assert upload.id.startswith("upl_")
    assert upload.estimate.source == "upload"
    assert upload.estimate.design == upload.id
    assert upload.estimate.size_mm == (20.0, 20.0, 20.0)
    assert services.uploads.get(upload.id) == upload
    assert services.uploads.data(upload.id) == data


def test_the_same_file_uploaded_again_is_the_same_upload(services: Services) -> None:
    first = services.uploads.add("cust-1", "cube.stl", cube_stl())
    again = services.uploads.add("cust-1", "copy.stl", cube_stl())
    other = services.uploads.add("cust-2", "cube.stl", cube_stl())
    assert not again.created
    assert again.upload.id == first.upload.id
    assert other.created
    assert other.upload.id != first.upload.id


def test_an_upload_is_quoted_and_ordered_from_its_estimate(services: Services) -> None:
    small = services.uploads.add("cust-1", "small.stl", cube_stl(15)).upload
    big = services.uploads.add("cust-1", "big.stl", cube_stl(40)).upload
    small_quote = services.orders.quote([custom_print(small.id)], BERLIN, "cust-1")
    big_quote = services.orders.quote([custom_print(big.id)], BERLIN, "cust-1")
    assert small_quote.lines[0].estimate == small.estimate
    assert small_quote.best is not None
    assert big_quote.best is not None
    assert big_quote.best.price_cents > small_quote.best.price_cents
    command = PlaceOrder("cust-1", (custom_print(big.id, quantity=2),), BERLIN, "upl-order")
    order = services.orders.place(command).order
    assert order.lines[0].upload_id == big.id
    assert order.lines[0].estimate == big.estimate
    assert services.orders.place(command).order.id == order.id  # a retry: the same order


def test_an_upload_no_printer_can_hold_is_refused(services: Services) -> None:
    with pytest.raises(NotManufacturable, match="400 × 400 × 400 mm; the machine holds"):
        services.uploads.add("cust-1", "box.stl", cube_stl(400))


def test_a_custom_print_without_an_upload_id_says_to_upload_first(services: Services) -> None:
    with pytest.raises(InvalidInput, match=r"lines\[0\]: .*'custom-print' is made from your own"):
        services.orders.quote([custom_print(None)], BERLIN)


def test_an_upload_id_on_a_template_product_is_refused(services: Services) -> None:
    line = replace(grip(), upload_id="upl_0000000000000000")
    with pytest.raises(InvalidInput, match="'phone-grip' is not made from an upload"):
        services.orders.quote([line], BERLIN)


def test_an_unknown_upload_id_is_refused_with_the_id(services: Services) -> None:
    command = PlaceOrder("cust-1", (custom_print("upl_nope"),), BERLIN, "x")
    with pytest.raises(InvalidInput, match=r"lines\[0\]: there is no upload 'upl_nope'"):
        services.orders.place(command)
    assert services.orders.list(OrderQuery()).items == []


def test_another_customers_upload_cannot_be_ordered_or_read(services: Services) -> None:
    theirs = services.uploads.add("cust-2", "cube.stl", cube_stl()).upload
    with pytest.raises(InvalidInput, match=f"no upload '{theirs.id}' of customer cust-1"):
        services.orders.place(PlaceOrder("cust-1", (custom_print(theirs.id),), BERLIN))
    with pytest.raises(NotFound):
        services.uploads.get(theirs.id, "cust-1")


def test_a_design_the_template_cannot_build_is_refused_for_its_line(services: Services) -> None:
    bracket = LineRequest(
        "mounting-bracket", 1, {"width_mm": 30.0, "holes": 4, "hole_spacing_mm": 20.0}, "pla"
    )
    command = PlaceOrder("cust-1", (grip(), bracket), BERLIN, "b")
    with pytest.raises(InvalidInput, match=r"lines\[1\]: 4 holes 20 mm apart need a bracket"):
        services.orders.place(command)
    assert services.orders.list(OrderQuery()).items == []


def test_the_same_design_weighs_what_its_material_weighs(services: Services) -> None:
    def knob(material: str) -> LineRequest:
        return LineRequest("window-crank-knob", 1, {}, material)

    quote = services.orders.quote([knob("aluminium-6061")], BERLIN)
    line = quote.lines[0]
    milled = line.estimate.for_process("cnc_mill") if line.estimate else None
    assert milled is not None
    assert milled.material_cm3 is not None
    network = services.network
    product = network.product("window-crank-knob")
    brass = replace(line, material="brass")
    aluminium = line.material_units(product, network.materials["aluminium-6061"])
    heavy = brass.material_units(product, network.materials["brass"])
    assert aluminium == pytest.approx(milled.material_cm3 * 2.7 / 1000)
    assert heavy / aluminium == pytest.approx(8.5 / 2.7)
    pla = services.orders.quote([grip("Ada")], BERLIN).lines[0]
    tpu = replace(pla, material="tpu")
    grip_product = network.product("phone-grip")
    ratio = tpu.material_units(grip_product, network.materials["tpu"]) / pla.material_units(
        grip_product, network.materials["pla"]
    )
    assert ratio == pytest.approx(1.21 / 1.24)
