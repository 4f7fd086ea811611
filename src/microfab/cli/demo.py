"""``microfab demo``: a fresh database, the demo network, simulated factories and customers."""

from __future__ import annotations

import json
import logging
import random
import time
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.live import Live
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from microfab.access import ApiKey, Role, hash_secret, new_secret
from microfab.bootstrap import Services, build_services, open_database
from microfab.cli.common import console, err_console, settings_for, stop_on_sigterm, user_errors
from microfab.cli.live import render
from microfab.cli.server import ApiServer
from microfab.errors import InvalidInput
from microfab.ids import random_ids
from microfab.network.loader import demo_document, normal_form
from microfab.network.service import install_network
from microfab.orders.model import MAX_PRIORITY, NORMAL_PRIORITY
from microfab.simulation.demand import DemandGenerator, Express
from microfab.simulation.runner import NetworkRun, SimClock, environment, max_idle
from microfab.simulation.summary import RunWindow, summarise
from microfab.store.inspect import sqlite_runtime_value
from microfab.units import parse_duration

DEMO_DB = "microfab-demo.db"
DEMO_START = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
"""A Monday morning, so that a seeded run repeats whatever day it is run on."""
LIVE_SPEED = 600.0


class Planner(StrEnum):
    ATCS = "atcs"
    EDD = "edd"
    GREEDY = "greedy"


STOPPED_EARLY = "stopped before the network ran: the database is consistent."


@user_errors
def demo(
    speed: Annotated[
        float | None,
        typer.Option(
            help="Simulated seconds per wall second; headless default: as fast as possible"
        ),
    ] = None,
    duration: Annotated[
        str | None, typer.Option(help="Simulated time to run, e.g. 24h, 3d; default: until Ctrl-C")
    ] = None,
    orders_per_hour: Annotated[float, typer.Option(help="Mean order rate", min=0.1)] = 30.0,
    seed: Annotated[int, typer.Option(help="Same seed, same run")] = 1,
    db: Annotated[str, typer.Option(help="Database file (made fresh) or URL")] = DEMO_DB,
    headless: Annotated[bool, typer.Option(help="No live view; print a summary")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Summary as JSON on stdout")] = False,
    port: Annotated[int, typer.Option(help="API port", min=1, max=65535)] = 8000,
    no_api: Annotated[bool, typer.Option("--no-api", help="Do not start the API")] = False,
    failure_rate: Annotated[
        float | None, typer.Option(help="Faults per machine-hour (default: per machine)", min=0)
    ] = None,
    planner: Annotated[
        Planner, typer.Option(help="atcs: re-plan factories on every change; greedy: never")
    ] = Planner.ATCS,
    plan_seconds: Annotated[
        float, typer.Option(help="CP-SAT seconds per factory re-plan (0: the rule alone)", min=0)
    ] = 0.0,
    express_share: Annotated[
        float,
        typer.Option(help="Share of orders placed as express, at --express-priority", min=0, max=1),
    ] = 0.0,
    express_priority: Annotated[
        int,
        typer.Option(
            help="The express orders' priority (1 places them as normal orders)",
            min=NORMAL_PRIORITY,
            max=MAX_PRIORITY,
        ),
    ] = 10,
) -> None:
    """Run the demo network: ten micro-factories and a stream of personalised orders."""
    logging.basicConfig(level=logging.ERROR)
    headless = headless or as_json
    if duration is None and headless:
        duration = "24h"
    span = parse_duration(duration) if duration else None
    speed = speed if speed is not None else (None if headless else LIVE_SPEED)
    settings = settings_for(_fresh(db)).model_copy(
        update={"planner": planner.value, "plan_seconds": plan_seconds}
    )
    stop_on_sigterm()
    try:  # a stop while setting up leaves the network uninstalled (one transaction)
        store = open_database(settings)
        with store.unit_of_work() as uow:
            install_network(uow, normal_form(demo_document(), "<demo>"), DEMO_START)
            uow.runtime.put("origin", "demo")
            secret = _admin_key(uow)
            uow.commit()
        env = environment(speed)
        clock = SimClock(env, DEMO_START)
        services = build_services(
            settings, clock=clock, ids=random_ids(random.Random(seed)), store=store
        )
    except KeyboardInterrupt:
        err_console.print(STOPPED_EARLY)
        return
    try:
        _run(
            services,
            env,
            clock,
            span,
            speed,
            orders_per_hour,
            seed,
            headless,
            as_json,
            None if no_api else port,
            failure_rate,
            secret,
            Express(express_share, express_priority),
        )
    finally:
        services.close()


def _run(
    services: Services,
    env: Any,
    clock: SimClock,
    span: timedelta | None,
    speed: float | None,
    orders_per_hour: float,
    seed: int,
    headless: bool,
    as_json: bool,
    port: int | None,
    failure_rate: float | None,
    secret: str,
    express: Express,
) -> None:
    try:  # setting up estimates the catalogue's designs: seconds on a cold cache
        controller = services.controller(seed, failure_rate)
        demand = DemandGenerator(
            services.network,
            random.Random(seed),
            orders_per_hour,
            estimator=services.estimator,
            express=express,
        )
    except KeyboardInterrupt:
        err_console.print(STOPPED_EARLY)
        return
    server = ApiServer(services, "127.0.0.1", port) if port is not None else None
    if server is not None:
        server.start()
        err_console.print(f"API on {server.url}/docs — admin key: {secret}", highlight=False)
    until = DEMO_START + span if span else None
    wall = time.monotonic()
    run = NetworkRun(env, clock, controller, services.orders, demand, max_idle(speed))
    try:
        if headless:
            _headless(run, clock, until)
        else:
            _live(run, services, clock, until, server.url if server else None)
    except KeyboardInterrupt:
        err_console.print("stopped: the database is consistent.")
    finally:
        if server is not None:
            server.stop()
    end = clock.now()
    with services.uow() as uow:
        summary = summarise(uow, services.network, RunWindow(DEMO_START, end))
    summary.update(
        seed=seed,
        wall_seconds=round(time.monotonic() - wall, 2),
        controller_steps=run.counts.steps,
        rejected_orders=run.counts.rejected,
    )
    _print_summary(summary, as_json)


def _headless(run: NetworkRun, clock: SimClock, until: datetime | None) -> None:
    if not err_console.is_terminal or until is None:
        run.run(until)
        return
    total = (until - clock.start).total_seconds()
    with Progress(
        TextColumn("simulating"),
        BarColumn(),
        TextColumn("{task.fields[now]}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as progress:
        bar = progress.add_task("run", total=total, now="")

        def advance() -> None:
            done = (clock.now() - clock.start).total_seconds()
            progress.update(bar, completed=done, now=f"{clock.now():%a %H:%M}")

        run.run(until, advance)


def _live(
    run: NetworkRun, services: Services, clock: SimClock, until: datetime | None, api: str | None
) -> None:
    with Live(console=err_console, refresh_per_second=4, transient=False) as live:

        def redraw() -> None:
            live.update(render(services, clock.now(), run.counts.placed, api))

        run.run(until, redraw)


def _fresh(db: str) -> str:
    """A demo always starts from an empty database; never overwrite one that is not a demo's."""
    if "://" in db:
        return db
    path = Path(db)
    if path.exists():
        if not _is_demo(path):
            raise InvalidInput(
                f"{path} exists and is not a microfab demo database; pass --db with a new file"
            )
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    return str(path)


def _is_demo(path: Path) -> bool:
    return sqlite_runtime_value(path, "origin") == "demo"


def _admin_key(uow: Any) -> str:
    secret = new_secret()
    key = ApiKey(random_ids()("key"), "demo admin", Role.ADMIN, hash_secret(secret), DEMO_START)
    uow.api_keys.add(key)
    return secret


def _print_summary(summary: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(summary, indent=2))
        return
    orders = summary["orders"]
    table = Table(title=f"{summary['simulated']['hours']:.1f} simulated hours")
    table.add_column("figure")
    table.add_column("value", justify="right")
    rate = summary["on_time_rate"]
    lead = summary["mean_lead_time_hours"]
    promised = summary["median_promised_hours"]
    rows = [
        ("orders placed", orders["placed"]),
        ("delivered", orders["delivered"]),
        ("delivered late", orders["late"]),
        ("on-time rate", f"{rate:.1%}" if rate is not None else "—"),
        ("mean lead time", f"{lead:.1f} h" if lead is not None else "—"),
        ("median lead time promised", f"{promised:.1f} h" if promised is not None else "—"),
        ("still open", orders["open"]),
        ("failed tasks (made again)", summary["tasks"]["failed"]),
        ("revenue", f"{summary['revenue_eur']:.2f} EUR"),
        ("wall time", f"{summary['wall_seconds']} s"),
    ]
    for name, value in rows:
        table.add_row(name, str(value))
    for factory, share in summary["utilisation"].items():
        table.add_row(f"utilisation {factory}", f"{share:.1%}")
    console.print(table)
