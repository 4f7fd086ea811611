"""Flatten one PrusaSlicer vendor printer + filament + print preset into a single ini.

PrusaSlicer 2.5 cannot pick vendor presets by name on the command line, so the estimate bench
slices with one flat file. Run once (needs Debian's ``prusa-slicer``)::

    python bench/catalog/flatten_profile.py > bench/catalog/mk3s_pla_020.ini
"""

from __future__ import annotations

import configparser
import sys
from pathlib import Path

VENDOR = Path("/usr/share/PrusaSlicer/profiles/PrusaResearch.ini")
PRESETS = (
    "printer:Original Prusa i3 MK3S & MK3S+",
    "filament:Prusament PLA",
    "print:0.20mm QUALITY @MK3",
)
SKIPPED = {
    "inherits",
    "compatible_printers",
    "compatible_printers_condition",
    "renamed_from",
    "alias",
    "compatible_prints",
    "compatible_prints_condition",
}


def resolve(sections: configparser.RawConfigParser, name: str) -> dict[str, str]:
    """The preset's own keys over those of its parents (later parents win over earlier)."""
    own = dict(sections[name])
    values: dict[str, str] = {}
    kind = name.split(":", 1)[0]
    for parent in filter(None, (p.strip() for p in own.get("inherits", "").split(";"))):
        values.update(resolve(sections, f"{kind}:{parent}"))
    values.update(own)
    return values


def main() -> None:
    sections = configparser.RawConfigParser(interpolation=None, strict=False)
    sections.optionxform = str  # type: ignore[assignment,method-assign]
    sections.read(VENDOR, encoding="utf-8")
    flat: dict[str, str] = {}
    for preset in PRESETS:
        flat.update(resolve(sections, preset))
    print(f"# flattened from {VENDOR.name}: {'; '.join(PRESETS)}")
    for key in sorted(flat):
        if key not in SKIPPED:
            print(f"{key} = {flat[key]}")


if __name__ == "__main__":
    sys.exit(main())
