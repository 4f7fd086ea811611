"""Shared pieces for the catalog tests: the registry of shipped templates and a build helper."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from microfab.catalog.geometry import Geometry
from microfab.catalog.registry import Registry

Make = Callable[..., Geometry]


@pytest.fixture(scope="session")
def registry() -> Registry:
    return Registry(entry_points_enabled=False)


@pytest.fixture(scope="session")
def make(registry: Registry) -> Make:
    """``make("phone-grip", name="Ada")``: the geometry of a template for these parameters."""

    def build(template_id: str, **params: object) -> Geometry:
        template = registry.get(template_id)
        return template.build(template.validate(params))

    return build
