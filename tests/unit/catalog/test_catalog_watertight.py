"""Property: every solid the shipped templates make from valid parameters is closed and whole."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from microfab.catalog.geometry import Solid
from microfab.catalog.model import Parameter, ParameterKind
from microfab.catalog.registry import Registry
from microfab.catalog.templates.common import LATIN
from microfab.errors import InvalidParameter

SOLIDS = ("phone-grip", "custom-insole", "window-crank-knob", "mounting-bracket")
REGISTRY = Registry(entry_points_enabled=False)


def values_of(parameter: Parameter) -> st.SearchStrategy[object]:
    match parameter.kind:
        case ParameterKind.NUMBER:
            assert parameter.minimum is not None
            assert parameter.maximum is not None
            if parameter.step:
                low, high = (
                    round(parameter.minimum / parameter.step),
                    round(parameter.maximum / parameter.step),
                )
                return st.integers(low, high).map(lambda k: k * parameter.step)
            return st.floats(parameter.minimum, parameter.maximum, allow_nan=False)
        case ParameterKind.INTEGER:
            return st.integers(int(parameter.minimum or 0), int(parameter.maximum or 10))
        case ParameterKind.TEXT:
            letters = st.sampled_from(parameter.charset or LATIN)
            return st.text(letters, min_size=1, max_size=parameter.max_length or 12).filter(
                str.strip
            )
        case ParameterKind.BOOLEAN:
            return st.booleans()
    return st.sampled_from(parameter.choices)


@pytest.mark.parametrize("template_id", SOLIDS)
def test_every_valid_design_is_one_closed_solid(template_id: str) -> None:
    template = REGISTRY.get(template_id)
    params = st.fixed_dictionaries({p.name: values_of(p) for p in template.parameters})

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(params)
    def check(raw: dict[str, object]) -> None:
        values = template.validate(raw)
        try:
            solid = template.build(values)
        except InvalidParameter:
            return  # refused with a reason (text too wide, holes too many): nothing to make
        assert isinstance(solid, Solid)
        mesh = solid.mesh
        assert mesh.is_watertight, raw
        assert mesh.is_winding_consistent, raw
        assert solid.shells == 1, raw
        assert solid.volume_mm3 > 0, raw

    check()
