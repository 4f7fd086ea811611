"""``microfab apikey create``."""

from __future__ import annotations

from typing import Annotated

import typer

from microfab.access import ApiKey, Role, hash_secret, new_secret
from microfab.bootstrap import load_network, open_database
from microfab.cli.common import DbOption, console, err_console, settings_for, user_errors
from microfab.clock import WallClock
from microfab.errors import InvalidInput
from microfab.ids import random_ids

apikey_app = typer.Typer(help="Manage API keys.", no_args_is_help=True)


@apikey_app.command("create")
@user_errors
def create(
    role: Annotated[Role, typer.Option(help="What the key may do")],
    name: Annotated[str, typer.Option(help="Who or what uses the key")] = "cli",
    factory: Annotated[str | None, typer.Option(help="The factory an operator key sees")] = None,
    customer: Annotated[
        str | None, typer.Option(help="The customer a customer key acts for")
    ] = None,
    person: Annotated[
        str | None,
        typer.Option(help="The person at the factory an operator key belongs to (their work)"),
    ] = None,
    db: DbOption = None,
) -> None:
    """Create an API key; the secret is printed once, on the last line, and stored only hashed."""
    secret = new_secret()
    key = ApiKey(
        id=random_ids()("key"),
        name=name,
        role=role,
        key_hash=hash_secret(secret),
        created_at=WallClock().now(),
        factory_id=factory,
        customer_id=customer,
        person_id=person,
    )
    store = open_database(settings_for(db))
    try:
        if factory is not None:
            site = load_network(store).site(factory)
            if person is not None and person not in {o.id for o in site.operators}:
                known = ", ".join(o.id for o in site.operators) or "nobody"
                raise InvalidInput(f"--person {person}: not at {factory} (people: {known})")
        with store.unit_of_work() as uow:
            uow.api_keys.add(key)
            uow.commit()
    finally:
        store.close()
    err_console.print(f"created {role.value} key {key.id} ({name}); keep the secret safe:")
    console.print(secret, highlight=False)
