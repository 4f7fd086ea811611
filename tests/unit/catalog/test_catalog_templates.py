"""The shipped templates: closed solids and closed cut paths, matching the demo's products."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from microfab.catalog.geometry import Sheet, Solid
from microfab.catalog.model import ParameterKind
from microfab.catalog.registry import BUILT_INS, Registry
from microfab.errors import InvalidInput, InvalidParameter, NotFound
from microfab.network.model import Network

if TYPE_CHECKING:
    from conftest import Make


@pytest.mark.parametrize("template_id", sorted(BUILT_INS))
def test_every_shipped_template_builds_its_defaults_into_a_closed_part(
    make: Make, template_id: str
) -> None:
    geometry = make(template_id)
    if isinstance(geometry, Solid):
        assert geometry.mesh.is_watertight
        assert geometry.mesh.is_winding_consistent
        assert geometry.shells == 1
        assert geometry.volume_mm3 > 0
    else:
        assert isinstance(geometry, Sheet)
        assert all(len(path) >= 3 for path in geometry.cut)
        assert geometry.cut_length_mm > 0


def test_demo_products_name_templates_with_the_same_parameters(
    registry: Registry, network: Network
) -> None:
    linked = [p for p in network.products.values() if p.geometry is not None]
    assert {p.geometry for p in linked} == set(BUILT_INS)
    for product in linked:
        assert product.geometry is not None
        assert registry.get(product.geometry).differences(product) == [], product.id


def test_the_schema_is_json_schema_with_units_steps_and_charset(registry: Registry) -> None:
    schema = registry.get("mounting-bracket").json_schema()
    assert schema["$schema"].endswith("2020-12/schema")
    assert schema["properties"]["thickness_mm"] == {
        "description": "Thickness of both flanges",
        "default": 4.0,
        "x-unit": "mm",
        "type": "number",
        "minimum": 2,
        "maximum": 10,
        "multipleOf": 0.5,
    }
    assert "Å" in registry.get("phone-grip").json_schema()["properties"]["name"]["x-charset"]


def test_a_value_off_the_step_is_refused_with_the_step(registry: Registry) -> None:
    with pytest.raises(InvalidParameter, match=r"must be a multiple of 0\.5 mm"):
        registry.get("mounting-bracket").validate({"thickness_mm": 3.2})


def test_a_colour_parameter_takes_hex_or_its_palette() -> None:
    from microfab.catalog.model import Parameter

    free = Parameter("tint", ParameterKind.COLOUR, "#ff0000")
    assert free.check("#00AA11") == "#00aa11"
    with pytest.raises(InvalidParameter, match="#rrggbb"):
        free.check("reddish")
    palette = Parameter("tint", ParameterKind.COLOUR, "red", choices=("red", "blue"))
    assert palette.json_schema()["enum"] == ["red", "blue"]


def test_a_wrong_type_or_out_of_range_value_names_the_parameter(registry: Registry) -> None:
    insole = registry.get("custom-insole")
    with pytest.raises(InvalidParameter, match="'foot_length_mm' is 400 mm; the largest"):
        insole.validate({"foot_length_mm": 400})
    with pytest.raises(InvalidParameter, match="'side' must be one of left, right"):
        insole.validate({"side": "both"})
    with pytest.raises(InvalidParameter, match="has no parameter 'colour'"):
        insole.validate({"colour": "red"})


def test_a_hole_pattern_wider_than_the_bracket_is_refused_with_both_widths(make: Make) -> None:
    with pytest.raises(InvalidParameter, match="need a bracket 74 mm wide; this one is 30 mm"):
        make("mounting-bracket", holes=4, hole_spacing_mm=20)


def test_an_unknown_template_lists_the_known_ones(registry: Registry) -> None:
    with pytest.raises(NotFound, match="no product template 'vase'; there are: custom-insole"):
        registry.get("vase")


def test_a_users_folder_adds_templates_without_changing_microfab(tmp_path: Path) -> None:
    (tmp_path / "coaster.py").write_text(COASTER, "utf-8")
    registry = Registry([tmp_path], entry_points_enabled=False)
    assert "coaster" in registry.ids()
    coaster = registry.get("coaster")
    solid = coaster.build(coaster.validate({"diameter_mm": 90}))
    assert isinstance(solid, Solid)
    assert solid.size_mm[0] == pytest.approx(90, abs=0.5)


def test_a_broken_user_module_is_named_with_its_error(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text("raise RuntimeError('oops')\n", "utf-8")
    with pytest.raises(InvalidInput, match=r"broken.py: the template module failed to load: oops"):
        Registry([tmp_path], entry_points_enabled=False).ids()


COASTER = """
from manifold3d import CrossSection
from microfab.catalog.geometry import Solid, on_bed
from microfab.catalog.model import Parameter, ParameterKind
from microfab.catalog.template import Kind, Template, number


def build(values):
    radius = number(values, "diameter_mm") / 2
    return Solid(on_bed(CrossSection.circle(radius, 64).extrude(4.0)))


TEMPLATE = Template(
    id="coaster", name="Coaster", version=1, kind=Kind.SOLID,
    parameters=(Parameter("diameter_mm", ParameterKind.NUMBER, 100.0, "Diameter", "mm", 60, 120),),
    build=build, processes=("fdm",), materials=("pla",),
)
"""
