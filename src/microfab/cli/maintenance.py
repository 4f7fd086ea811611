"""``microfab maintenance book|list|cancel``: machines' planned downtime, straight from the
database."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.table import Table

from microfab.bootstrap import Services
from microfab.cli.common import DbOption, console, user_errors
from microfab.cli.orders import JsonOption, _services
from microfab.errors import InvalidInput
from microfab.execution.maintenance import BookMaintenance
from microfab.execution.model import Maintenance

maintenance_app = typer.Typer(
    help="Book, list and cancel maintenance windows: times when a machine takes no work.",
    no_args_is_help=True,
)
FactoryArgument = Annotated[str, typer.Argument(help="Factory id, e.g. berlin")]
TimeOption = Annotated[
    str,
    typer.Option(
        help="An ISO time: 2026-12-08T09:00 in the factory's local time, or with a zone "
        "(2026-12-08T08:00Z)",
        show_default=False,
    ),
]


@maintenance_app.command("book")
@user_errors
def book(
    factory_id: FactoryArgument,
    machine_id: Annotated[str, typer.Argument(help="Machine id, e.g. ber-fdm-1")],
    start: TimeOption,
    end: TimeOption,
    reason: Annotated[str, typer.Option(help="What is done then")] = "",
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Book a window when a machine takes no work: its factory re-plans around it.

    Work running on the machine when the window begins finishes first. A running `microfab
    serve` on the same database re-plans the factory within a step.
    """
    with _services(db) as services:
        tz = services.network.factory(factory_id).tz
        command = BookMaintenance(
            factory_id,
            machine_id,
            _moment("--start", start, tz),
            _moment("--end", end, tz),
            reason,
        )
        window = services.maintenance.book(command)
        _show([window], services, as_json)


@maintenance_app.command("list")
@user_errors
def list_windows(
    factory_id: FactoryArgument, db: DbOption = None, as_json: JsonOption = False
) -> None:
    """The factory's maintenance windows on now or ahead, by start."""
    with _services(db) as services:
        _show(services.maintenance.ahead(factory_id), services, as_json)


@maintenance_app.command("cancel")
@user_errors
def cancel(
    factory_id: FactoryArgument,
    maintenance_id: Annotated[str, typer.Argument(help="Maintenance id (mnt_...)")],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Cancel a window not yet over: the machine takes work again."""
    with _services(db) as services:
        _show([services.maintenance.cancel(factory_id, maintenance_id)], services, as_json)


def _moment(option: str, text: str, tz: ZoneInfo) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            f"{option} {text!r}: write an ISO time, e.g. 2026-12-08T09:00 (the factory's "
            "local time) or 2026-12-08T08:00Z"
        ) from None
    if moment.tzinfo is not None:
        return moment
    local = moment.replace(tzinfo=tz)
    if local.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != moment:
        raise InvalidInput(
            f"{option} {text!r}: there is no such time in {tz.key} (the clocks go forward then)"
        )
    return local


def _show(windows: list[Maintenance], services: Services, as_json: bool) -> None:
    if as_json:
        rows = [
            {
                "id": w.id,
                "factory_id": w.factory_id,
                "machine_id": w.machine_id,
                "start": w.start.isoformat(),
                "end": w.end.isoformat(),
                "reason": w.reason,
                "created_at": w.created_at.isoformat(),
                "cancelled_at": w.cancelled_at.isoformat() if w.cancelled_at else None,
            }
            for w in windows
        ]
        console.print_json(json.dumps(rows))
        return
    table = Table("id", "machine", "start (local)", "end (local)", "reason", "state")
    for w in windows:
        tz = services.network.factory(w.factory_id).tz
        state = "cancelled" if w.cancelled_at else "booked"
        table.add_row(
            w.id,
            w.machine_id,
            f"{w.start.astimezone(tz):%Y-%m-%d %H:%M}",
            f"{w.end.astimezone(tz):%Y-%m-%d %H:%M}",
            w.reason,
            state,
        )
    console.print(table)
