"""The demo's live view: factories, machines, queues, orders by state, on-time rate."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from microfab.bootstrap import Services
from microfab.execution.model import ACTIVE_TASK_STATES, TaskState
from microfab.machines.base import MachineState
from microfab.orders.model import OrderState

STATE_STYLE = {
    MachineState.BUSY: "green",
    MachineState.IDLE: "dim",
    MachineState.DOWN: "bold red",
    MachineState.OFFLINE: "red",
}


def render(services: Services, now: datetime, placed: int, api_url: str | None) -> Group:
    """One frame of the live view, read from the drivers and the store."""
    with services.uow() as uow:
        counts = uow.orders.count_by_state()
        tasks = uow.tasks.in_states(None, ACTIVE_TASK_STATES)
        delivered = counts.get(OrderState.DELIVERED, 0)
        late = sum(1 for o in uow.orders.in_states((OrderState.DELIVERED,)) if o.late)
    queued = Counter(t.factory_id for t in tasks if t.state is TaskState.SCHEDULED)
    factories = Table(title="micro-factories", title_justify="left")
    for column in ("factory", "busy", "idle", "down", "queue", "machines"):
        factories.add_column(column)
    for site in services.network.factories:
        states = [services.machines[m.id].status().state for m in site.machines]
        cells = Text()
        for state in states:
            cells.append("■", style=STATE_STYLE[state])
        tally = Counter(states)
        factories.add_row(
            site.name.removeprefix("microfab "),
            str(tally[MachineState.BUSY]),
            str(tally[MachineState.IDLE]),
            str(tally[MachineState.DOWN]),
            str(queued[site.id]),
            cells,
        )
    orders = " · ".join(f"{s.value} {counts.get(s, 0)}" for s in OrderState if counts.get(s, 0))
    on_time = f"{1 - late / delivered:.1%}" if delivered else "—"
    header = Text.assemble(
        ("network time ", "dim"),
        (f"{now:%a %Y-%m-%d %H:%M} UTC", "bold"),
        ("   orders placed ", "dim"),
        (str(placed), "bold"),
        ("   on time ", "dim"),
        (on_time, "bold green"),
    )
    footer = Text.assemble(
        ("■ busy ", STATE_STYLE[MachineState.BUSY]),
        ("■ idle ", STATE_STYLE[MachineState.IDLE]),
        ("■ down   ", STATE_STYLE[MachineState.DOWN]),
        (f"API {api_url}/docs" if api_url else "API off", "dim"),
        ("   Ctrl-C stops", "dim"),
    )
    return Group(header, factories, Panel(orders or "no orders yet", title="orders"), footer)
