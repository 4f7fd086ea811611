"""Text with the shipped font: nothing vanishes silently, and what does not fit says by how much."""

from __future__ import annotations

from importlib import resources
from typing import TYPE_CHECKING

import pytest

from microfab.catalog.registry import Registry
from microfab.catalog.text import fit_text, shipped_font
from microfab.errors import InvalidParameter

if TYPE_CHECKING:
    from conftest import Make


def test_the_font_ships_with_its_licence() -> None:
    fonts = resources.files("microfab.catalog").joinpath("fonts")
    assert fonts.joinpath("DejaVuSans-Bold.ttf").is_file()
    assert "Bitstream" in fonts.joinpath("LICENSE-DejaVu.txt").read_text("utf-8")


def test_characters_the_font_lacks_are_named_with_their_code_points() -> None:
    with pytest.raises(InvalidParameter, match=r"has no '😀' \(U\+1F600\), 'Ω' \(U\+03A9\)"):
        shipped_font().check("Hi 😀Ω!", "name")


def test_a_name_the_grip_cannot_hold_gives_its_width_and_the_room(make: Make) -> None:
    with pytest.raises(
        InvalidParameter,
        match=r"'WWWWWWWWWWWW' is 91 mm wide even with letters 5 mm tall; this product fits 58 mm",
    ):
        make("phone-grip", name="WWWWWWWWWWWW")


def test_a_longer_name_gets_smaller_letters_down_to_the_smallest() -> None:
    font = shipped_font()
    short = fit_text(font, "Bo", "name", (58, 20), (10, 8, 6))
    long = fit_text(font, "Maximiliane", "name", (58, 20), (10, 8, 6))
    assert short.cap_height_mm == 10
    assert long.cap_height_mm < 10
    assert long.width_mm <= 58


def test_kerning_pulls_pairs_like_av_together() -> None:
    font = shipped_font()
    assert font.width_mm("AV", 10) < font.width_mm("A", 10) + font.width_mm("V", 10)


def test_too_many_characters_are_refused_before_any_geometry(registry: Registry) -> None:
    with pytest.raises(InvalidParameter, match="is 13 characters long; at most 12 fit"):
        registry.get("phone-grip").validate({"name": "A" * 13})
