"""``microfab serve``: the API and the network controller on one database."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from microfab.bootstrap import build_services, network_time, open_database
from microfab.cli.common import DbOption, err_console, settings_for, stop_on_sigterm, user_errors
from microfab.cli.server import ApiServer
from microfab.clock import WallClock
from microfab.simulation.runner import NetworkRun, SimClock, environment, max_idle


@user_errors
def serve(
    db: DbOption = None,
    host: Annotated[
        str | None, typer.Option(help="Address to listen on [default: MICROFAB_HOST or 127.0.0.1]")
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(help="Port to listen on [default: MICROFAB_PORT or 8000]", min=1, max=65535),
    ] = None,
    speed: Annotated[
        float, typer.Option(help="Network time per wall time (600: 10 minutes a second)", min=0.001)
    ] = 1.0,
    seed: Annotated[int | None, typer.Option(help="Seed for simulated machines")] = None,
    failure_rate: Annotated[
        float | None, typer.Option(help="Faults per machine-hour on simulated machines", min=0)
    ] = None,
) -> None:
    """Serve the API and run the factories, carrying on from where the database left off."""
    logging.basicConfig(level=logging.WARNING)
    settings = settings_for(db)
    store = open_database(settings)
    start = network_time(store) or WallClock().now()
    env = environment(speed)
    clock = SimClock(env, start)
    services = build_services(settings, clock=clock, store=store, isolated_builds=True)
    controller = services.controller(seed, failure_rate)
    resumed = controller.recover()
    server = ApiServer(services, host or settings.host, port or settings.port)
    server.start()
    stop_on_sigterm()
    err_console.print(
        f"microfab serving {services.network.name!r} on {server.url} (docs: {server.url}/docs); "
        f"network time {start:%Y-%m-%d %H:%M} UTC at {speed:g}× speed; "
        f"{resumed} running tasks resumed. Ctrl-C stops."
    )
    run = NetworkRun(
        env,
        clock,
        controller,
        services.orders,
        None,
        max_idle=max_idle(speed),
    )
    try:
        run.run(until=None)
    except KeyboardInterrupt:
        err_console.print("stopping: the database is consistent; `microfab serve` carries on.")
    finally:
        server.stop()
        services.close()
