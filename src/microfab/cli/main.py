"""The ``microfab`` command."""

from __future__ import annotations

import typer

from microfab import __version__
from microfab.cli.apikeys import apikey_app
from microfab.cli.catalog import catalog_app
from microfab.cli.demo import demo
from microfab.cli.network import network_app
from microfab.cli.orders import order_app
from microfab.cli.schedule import schedule_app
from microfab.cli.serve import serve
from microfab.cli.uploads import upload_app

app = typer.Typer(
    name="microfab",
    help="Run a network of micro-factories: personalised orders from design to delivery.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command()(demo)
app.command()(serve)
app.add_typer(network_app, name="network")
app.add_typer(order_app, name="order")
app.add_typer(upload_app, name="upload")
app.add_typer(apikey_app, name="apikey")
app.add_typer(catalog_app, name="catalog")
app.add_typer(schedule_app, name="schedule")


@app.callback(invoke_without_command=True)
def _version(
    version: bool = typer.Option(False, "--version", help="Print the version and exit"),
) -> None:
    if version:
        typer.echo(f"microfab {__version__}")
        raise typer.Exit()


def run() -> None:
    app()
