"""Dependencies every route shares: the services the app was built with."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from microfab.bootstrap import Services


def get_services(request: Request) -> Services:
    """The services ``create_app`` put on the application."""
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]
