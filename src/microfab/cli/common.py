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
from rich.markup import escape

from microfab.catalog.model import ParameterKind, ProductTemplate
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
            # the message is plain text: "[key]" in a file's path must not read as a style
            message = escape(exc.message)
            err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None

    return wrapper


def parse_params(product: ProductTemplate | None, pairs: list[str]) -> dict[str, object]:
    """``--param name=value`` pairs, typed as the product's parameters say.

    A value that does not read as its type is passed on as text, so the product's own check
    names the parameter and what it wants, as it does for the API.
    """
    raw: dict[str, object] = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        if not sep or not name:
            raise InvalidInput(f"--param {pair!r}: write name=value, e.g. --param name=Ada")
        kind = product.parameter(name).kind if product is not None else ParameterKind.TEXT
        raw[name] = _typed(kind, text)
    return raw


def _typed(kind: ParameterKind, text: str) -> object:
    if kind in (ParameterKind.NUMBER, ParameterKind.INTEGER):
        try:
            return int(text) if text.lstrip("-").isdigit() else float(text)
        except ValueError:
            return text
    if kind is ParameterKind.BOOLEAN:
        words = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}
        return words.get(text.lower(), text)
    return text
