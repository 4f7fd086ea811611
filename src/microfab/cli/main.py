"""The ``microfab`` command."""

from __future__ import annotations

import sys

import typer

from microfab import __version__
from microfab.cli.apikeys import apikey_app
from microfab.cli.catalog import catalog_app
from microfab.cli.common import err_console
from microfab.cli.demo import demo
from microfab.cli.maintenance import maintenance_app
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
app.add_typer(maintenance_app, name="maintenance")


@app.callback(invoke_without_command=True)
def _version(
    version: bool = typer.Option(False, "--version", help="Print the version and exit"),
) -> None:
    if version:
        typer.echo(f"microfab {__version__}")
        raise typer.Exit()


# Typer raises Click's usage errors or those of its own copy of Click, by version; either
# way they derive from the class typer.BadParameter derives from.
USAGE_ERROR: type[Exception] = next(
    c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError"
)


def run() -> None:
    """The command: a mistyped option or argument is one line on stderr and exit code 2."""
    try:
        code = app(standalone_mode=False, prog_name="microfab")
    except USAGE_ERROR as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":
            exc.show()  # type: ignore[attr-defined]  # the help, as --help shows it
            sys.exit(2)
        ctx = getattr(exc, "ctx", None)
        command = ctx.command_path if ctx is not None else "microfab"
        message = exc.format_message().replace("Value error, ", "")  # type: ignore[attr-defined]
        err_console.print(
            f"[bold red]error:[/] {message} (see '{command} --help')",
            highlight=False,
            soft_wrap=True,
        )
        sys.exit(2)
    except typer.Abort:
        err_console.print("aborted")
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)
