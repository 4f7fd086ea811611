"""What every command shares: where the database is, how errors are shown, the consoles."""

from __future__ import annotations

import functools
import signal
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Annotated, ParamSpec, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console

from microfab.errors import InvalidInput, MicrofabError
from microfab.settings import Settings, sqlite_url

console = Console()
err_console = Console(stderr=True)

P = ParamSpec("P")
R = TypeVar("R")

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="SQLite file, or a database URL; default: MICROFAB_DATABASE_URL or ./microfab.db",
        show_default=False,
    ),
]


def stop_on_sigterm() -> None:
    """Treat SIGTERM (``kill``, a service manager) like Ctrl-C: stop at a consistent point."""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


def settings_for(db: str | None) -> Settings:
    """Settings from the environment, with ``--db`` taking precedence."""
    try:
        if db is None:
            return Settings()
        url = db if "://" in db else sqlite_url(Path(db))
        return Settings(database_url=url)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InvalidInput(f"setting {where}: {first['msg']}") from None


def user_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Show a ``MicrofabError`` as one line on stderr and exit with code 2."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except MicrofabError as exc:
            err_console.print(f"[bold red]error:[/] {exc.message}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None

    return wrapper
