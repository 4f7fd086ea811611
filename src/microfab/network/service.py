"""Network use cases: install a network into the store, and describe it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from microfab.errors import Conflict
from microfab.machines.base import MachineState
from microfab.network.loader import build_network
from microfab.network.model import Network
from microfab.orders.model import OPEN_STATES
from microfab.storage import MachineRecord, UnitOfWork


def install_network(
    uow: UnitOfWork, document: Mapping[str, Any], now: datetime, replace: bool = False
) -> Network:
    """Store the network document, its starting stock and an idle record for every machine.

    A network with open orders is not replaced unless ``replace`` says so, because its
    factories may be making them.
    """
    network = build_network(document, "<network>")
    if uow.network.document() is not None and not replace:
        raise Conflict("this database has a network already; pass --replace to load another")
    if replace and uow.orders.in_states(OPEN_STATES):
        raise Conflict("the network has open orders; finish or cancel them before replacing it")
    uow.network.put_document(document)
    for site in network.sites:
        for sku, quantity in site.stock.items():
            uow.stock.set_level(site.id, sku, quantity)
        for machine in site.machines:
            uow.machines.record(MachineRecord(machine.id, site.id, MachineState.IDLE, now))
    return network
