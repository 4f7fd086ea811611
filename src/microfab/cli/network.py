"""``microfab network validate|load|show``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from microfab.bootstrap import load_network, open_database
from microfab.cli.common import DbOption, console, settings_for, user_errors
from microfab.clock import WallClock
from microfab.network.loader import demo_document, load_network_file, normal_form
from microfab.network.model import Network, SiteKind
from microfab.network.service import install_network
from microfab.scheduling.model import Objective

network_app = typer.Typer(help="Check, load and show a network of factories.", no_args_is_help=True)

FileArgument = Annotated[Path, typer.Argument(help="Network file (YAML)", show_default=False)]


@network_app.command("validate")
@user_errors
def validate(file: FileArgument) -> None:
    """Check a network file; exit code 2 and the first problem if it is not valid."""
    network, _ = load_network_file(file)
    console.print(f"{file}: valid — {_counts(network)}")


@network_app.command("load")
@user_errors
def load(
    file: Annotated[
        Path | None, typer.Argument(help="Network file; the demo network when left out")
    ] = None,
    db: DbOption = None,
    replace: Annotated[bool, typer.Option(help="Replace a network already loaded")] = False,
) -> None:
    """Load a network into the database (the schema is created or upgraded first)."""
    if file is None:
        document = normal_form(demo_document(), "<demo>")
    else:
        _, document = load_network_file(file)
    store = open_database(settings_for(db))
    try:
        with store.unit_of_work() as uow:
            network = install_network(uow, document, WallClock().now(), replace)
            uow.commit()
    finally:
        store.close()
    console.print(f"loaded {network.name!r}: {_counts(network)}")


@network_app.command("show")
@user_errors
def show(db: DbOption = None) -> None:
    """Show the network in the database: its sites and machines."""
    store = open_database(settings_for(db))
    try:
        network = load_network(store)
    finally:
        store.close()
    table = Table(title=network.name)
    for column in ("site", "kind", "city", "machines", "operators", "plans for"):
        table.add_column(column)
    for site in network.sites:
        processes: dict[str, int] = {}
        for machine in site.machines:
            processes[machine.process.value] = processes.get(machine.process.value, 0) + 1
        machines = ", ".join(f"{n}× {p}" for p, n in processes.items())
        table.add_row(
            site.id,
            site.kind.value,
            site.name,
            machines,
            str(len(site.operators)),
            _objective(site.objective) if site.kind is SiteKind.MICRO_FACTORY else "—",
        )
    console.print(table)
    console.print(f"products: {', '.join(network.products)}")


def _objective(objective: Objective) -> str:
    """``20×tardiness + 2×changeover + makespan``, or ``tardiness, then changeover``."""
    if objective.lexicographic:
        return ", then ".join(c.value for c in objective.lexicographic)
    terms = (f"{w}×{c.value}" if w != 1 else c.value for c, w in objective.weights.items() if w)
    return " + ".join(terms)


def _counts(network: Network) -> str:
    machines = sum(len(s.machines) for s in network.factories)
    return (
        f"{len(network.factories)} micro-factories, {len(network.central_plants)} central plants, "
        f"{machines} machines, {len(network.products)} products"
    )
