from datetime import timedelta

import pytest

from microfab.bootstrap import Services
from microfab.clock import ManualClock
from microfab.inventory.model import shortfall
from microfab.network.model import Location
from microfab.orders.model import Destination
from microfab.orders.service import LineRequest, PlaceOrder

BERLIN = Destination(Location(52.5, 13.4), "Berlin")
LAMP = LineRequest("desk-lamp", 1, {}, "pla")


@pytest.mark.parametrize(
    ("level", "on_order", "expected"),
    [(60, 0, 0), (18, 0, 0), (17, 0, 43), (10, 5, 45), (10, 8, 0), (0, 0, 60)],
)
def test_a_shelf_is_topped_up_once_it_falls_below_the_mark(
    level: float, on_order: float, expected: float
) -> None:
    assert shortfall(60, level, on_order) == expected


def test_nothing_is_reordered_that_the_factory_never_stocked() -> None:
    assert shortfall(0, 0, 0) == 0


def test_a_low_shelf_is_refilled_from_the_central_plant(
    services: Services, clock: ManualClock
) -> None:
    with services.uow() as uow:
        uow.stock.set_level("berlin", "led-lamp-kit", 18)
        uow.commit()
    controller = services.controller(seed=1, failure_rate=0)
    services.orders.place(PlaceOrder("c1", (LAMP,), BERLIN))
    controller.step()
    with services.uow() as uow:
        (delivery,) = uow.replenishments.in_transit("berlin", "led-lamp-kit")
        assert uow.stock.level("berlin", "led-lamp-kit") == 17
    assert delivery.supplier_id == "kassel-plant"
    assert delivery.quantity == 43
    assert delivery.arrives_at == clock.now() + timedelta(hours=24)

    services.orders.place(PlaceOrder("c2", (LAMP,), BERLIN))
    controller.step()
    with services.uow() as uow:
        assert len(uow.replenishments.in_transit("berlin", "led-lamp-kit")) == 1

    assert controller.next_wakeup() is not None
    clock.set(delivery.arrives_at)
    controller.step()
    with services.uow() as uow:
        assert uow.replenishments.in_transit("berlin", "led-lamp-kit") == []
        assert uow.stock.level("berlin", "led-lamp-kit") == 16 + 43
