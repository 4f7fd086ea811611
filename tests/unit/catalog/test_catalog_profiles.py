"""Machine profiles read from slicer files."""

from __future__ import annotations

from pathlib import Path

import pytest

from microfab.catalog.profiles import PrinterProfile
from microfab.errors import InvalidInput


def test_a_relative_speed_in_a_slicer_profile_is_refused_not_misread(tmp_path: Path) -> None:
    shipped = Path(__file__).parents[3] / "bench" / "catalog" / "mk3s_pla_020.ini"
    profile = tmp_path / "relative.ini"
    profile.write_text(shipped.read_text() + "\nexternal_perimeter_speed = 50%\n")
    assert PrinterProfile.from_ini(shipped).fill_density == pytest.approx(0.15)
    with pytest.raises(InvalidInput, match="external_perimeter_speed = 50% is relative"):
        PrinterProfile.from_ini(profile)
