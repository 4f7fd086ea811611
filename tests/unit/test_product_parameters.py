import pytest

from microfab.errors import InvalidParameter
from microfab.network.model import Network


def test_missing_parameters_take_their_defaults(network: Network) -> None:
    grip = network.product("phone-grip")
    values = grip.validate({"name": "Ada"})
    assert values == {"name": "Ada", "style": "embossed", "colour": "black"}


def test_a_number_out_of_range_names_the_limit_and_unit(network: Network) -> None:
    insole = network.product("custom-insole")
    with pytest.raises(InvalidParameter, match=r"'foot_length_mm' is 400 mm; the largest .* 320"):
        insole.validate({"foot_length_mm": 400})


def test_a_number_of_the_wrong_type_is_refused(network: Network) -> None:
    insole = network.product("custom-insole")
    with pytest.raises(InvalidParameter, match="must be a number, not 'long'"):
        insole.validate({"foot_length_mm": "long"})


def test_a_boolean_is_not_taken_for_a_number(network: Network) -> None:
    insole = network.product("custom-insole")
    with pytest.raises(InvalidParameter, match="must be a number"):
        insole.validate({"foot_length_mm": True})


def test_text_longer_than_the_grip_holds_is_refused(network: Network) -> None:
    grip = network.product("phone-grip")
    with pytest.raises(InvalidParameter, match="13 characters long; at most 12 fit"):
        grip.validate({"name": "Maximiliane X"})


def test_characters_that_cannot_be_made_are_named(network: Network) -> None:
    grip = network.product("phone-grip")
    with pytest.raises(InvalidParameter, match="cannot be made: '☃'"):
        grip.validate({"name": "Snow☃"})


def test_an_unknown_choice_lists_the_choices(network: Network) -> None:
    grip = network.product("phone-grip")
    with pytest.raises(InvalidParameter, match="one of black, white, red"):
        grip.validate({"colour": "mauve"})


def test_an_unknown_parameter_names_the_ones_that_exist(network: Network) -> None:
    grip = network.product("phone-grip")
    with pytest.raises(InvalidParameter, match="no parameter 'font'; it has: name, style"):
        grip.validate({"font": "Comic"})


def test_a_material_the_product_does_not_allow_is_refused(network: Network) -> None:
    with pytest.raises(InvalidParameter, match="cannot be made of 'brass'"):
        network.product("phone-grip").check_material("brass")


def test_the_parameter_schema_is_json_schema(network: Network) -> None:
    schema = network.product("custom-insole").json_schema()
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False
    length = schema["properties"]["foot_length_mm"]
    assert (length["minimum"], length["maximum"], length["x-unit"]) == (200, 320, "mm")
