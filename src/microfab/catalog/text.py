"""Text as geometry, with the libre font microfab ships (DejaVu Sans Bold, subset to Latin).

A customizer that silently drops a character the font lacks ships the wrong product. Here every
character is looked up first: ``Font.check`` names the ones the font cannot draw, and
``fit_text`` names the width a text needs and the width it has. Outlines are flattened glyph
contours in millimetres, laid out with the font's advances and pair kerning.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
from fontTools.pens.basePen import BasePen
from fontTools.ttLib import TTFont
from manifold3d import CrossSection, FillRule

from microfab.errors import InvalidParameter

SHIPPED_FONT = "DejaVuSans-Bold.ttf"
CURVE_STEPS = 4
"""Segments per quadratic curve: at a 6 mm cap height a chord is then off by < 0.02 mm."""

Contour = np.ndarray


class _FlatteningPen(BasePen):  # type: ignore[misc]
    """Collects a glyph's contours as polylines, curves cut into ``CURVE_STEPS`` segments."""

    def __init__(self, glyphs: object) -> None:
        super().__init__(glyphs)
        self.contours: list[list[tuple[float, float]]] = []

    def _moveTo(self, pt: tuple[float, float]) -> None:  # noqa: N802 (fontTools API)
        self.contours.append([pt])

    def _lineTo(self, pt: tuple[float, float]) -> None:  # noqa: N802
        self.contours[-1].append(pt)

    def _qCurveToOne(self, p1: tuple[float, float], p2: tuple[float, float]) -> None:  # noqa: N802
        p0 = self.contours[-1][-1]
        for t in np.linspace(0, 1, CURVE_STEPS + 1)[1:]:
            u = 1 - t
            self.contours[-1].append(
                (
                    u * u * p0[0] + 2 * u * t * p1[0] + t * t * p2[0],
                    u * u * p0[1] + 2 * u * t * p1[1] + t * t * p2[1],
                )
            )

    def _curveToOne(  # noqa: N802
        self, p1: tuple[float, float], p2: tuple[float, float], p3: tuple[float, float]
    ) -> None:
        p0 = self.contours[-1][-1]
        for t in np.linspace(0, 1, 2 * CURVE_STEPS + 1)[1:]:
            u = 1 - t
            self.contours[-1].append(
                tuple(
                    u**3 * a + 3 * u * u * t * b + 3 * u * t * t * c + t**3 * d
                    for a, b, c, d in zip(p0, p1, p2, p3, strict=True)
                )
            )


@dataclass(frozen=True)
class TextOutline:
    """Text flattened to polygons in millimetres, its baseline at y = 0, starting at x = 0."""

    contours: tuple[Contour, ...]
    width_mm: float
    cap_height_mm: float

    def section(self) -> CrossSection:
        """The filled letters (holes of 'o', 'A' kept open)."""
        if not self.contours:
            return CrossSection()
        return CrossSection([c for c in self.contours if len(c) >= 3], FillRule.NonZero)


class Font:
    """A TrueType font read once: its characters, advances, kerning and glyph contours."""

    def __init__(self, path: Path) -> None:
        self.path = path
        font = TTFont(str(path))
        self._glyphs = font.getGlyphSet()
        self._cmap: dict[int, str] = font.getBestCmap()
        self._advance = {name: adv for name, (adv, _) in font["hmtx"].metrics.items()}
        self._kerning = _pair_kerning(font)
        self.units_per_em = float(font["head"].unitsPerEm)
        self.cap_height_units = float(
            getattr(font["OS/2"], "sCapHeight", 0) or 0.73 * self.units_per_em
        )
        self.name = font["name"].getDebugName(4) or path.stem

    def missing(self, text: str) -> list[str]:
        """Characters of ``text`` the font has no glyph for, in order of first appearance."""
        seen: dict[str, None] = {}
        for char in text:
            if ord(char) not in self._cmap and char not in seen:
                seen[char] = None
        return list(seen)

    def check(self, text: str, parameter: str) -> None:
        """Raise with the characters the font cannot draw, so none silently vanishes."""
        missing = self.missing(text)
        if missing:
            shown = ", ".join(f"{c!r} (U+{ord(c):04X})" for c in missing)
            raise InvalidParameter(
                f"parameter {parameter!r}: the font {self.name} has no {shown}; "
                "use Latin letters, digits and common punctuation"
            )

    def outline(self, text: str, cap_height_mm: float, tracking: float = 0.0) -> TextOutline:
        """The outline of ``text`` with capitals ``cap_height_mm`` tall; ``tracking`` adds that
        share of the em between letters."""
        scale = cap_height_mm / self.cap_height_units
        extra = tracking * self.units_per_em
        contours: list[Contour] = []
        x = 0.0
        previous: str | None = None
        for char in text:
            glyph = self._cmap[ord(char)]
            if previous is not None:
                x += self._kerning.get((previous, glyph), 0)
            contours.extend((c + np.array([x, 0.0])) * scale for c in self._contours(glyph))
            x += self._advance[glyph] + extra
            previous = glyph
        return TextOutline(tuple(contours), (x - extra) * scale, cap_height_mm)

    def width_mm(self, text: str, cap_height_mm: float) -> float:
        """How wide ``text`` is at this cap height (advances and kerning, as ``outline``)."""
        return self.outline(text, cap_height_mm).width_mm

    @functools.cache  # noqa: B019 (fonts live as long as the process; few glyphs)
    def _contours(self, glyph: str) -> tuple[Contour, ...]:
        pen = _FlatteningPen(self._glyphs)
        self._glyphs[glyph].draw(pen)
        return tuple(np.asarray(c, dtype=np.float64) for c in pen.contours if len(c) >= 3)


def _pair_kerning(font: TTFont) -> dict[tuple[str, str], int]:
    """Glyph-pair kerning from GPOS pair tables, both single pairs and class pairs."""
    pairs: dict[tuple[str, str], int] = {}
    if "GPOS" not in font:
        return pairs
    for lookup in font["GPOS"].table.LookupList.Lookup:
        for sub in lookup.SubTable:
            sub = getattr(sub, "ExtSubTable", sub)
            if getattr(sub, "LookupType", lookup.LookupType) != 2:
                continue
            if sub.Format == 1:
                _single_pairs(sub, pairs)
            elif sub.Format == 2:
                _class_pairs(sub, pairs)
    return pairs


def _single_pairs(sub: object, pairs: dict[tuple[str, str], int]) -> None:
    for first, pair_set in zip(sub.Coverage.glyphs, sub.PairSet, strict=True):  # type: ignore[attr-defined]
        for record in pair_set.PairValueRecord:
            value = getattr(record.Value1, "XAdvance", 0) if record.Value1 else 0
            if value:
                pairs.setdefault((first, record.SecondGlyph), value)


def _class_pairs(sub: object, pairs: dict[tuple[str, str], int]) -> None:
    firsts = sub.Coverage.glyphs  # type: ignore[attr-defined]
    class1 = sub.ClassDef1.classDefs  # type: ignore[attr-defined]
    class2 = sub.ClassDef2.classDefs  # type: ignore[attr-defined]
    seconds: dict[int, list[str]] = {}
    for glyph, cls in class2.items():
        seconds.setdefault(cls, []).append(glyph)
    for first in firsts:
        row = sub.Class1Record[class1.get(first, 0)].Class2Record  # type: ignore[attr-defined]
        for cls, glyphs in seconds.items():
            value = getattr(row[cls].Value1, "XAdvance", 0) if row[cls].Value1 else 0
            if value:
                for second in glyphs:
                    pairs.setdefault((first, second), value)


@functools.cache
def shipped_font() -> Font:
    """The font packaged with microfab (DejaVu Sans Bold; licence in ``catalog/fonts``)."""
    path = resources.files("microfab.catalog").joinpath("fonts", SHIPPED_FONT)
    return Font(Path(str(path)))


@functools.cache
def load_font(path: Path) -> Font:
    """A font given by path, e.g. by a user's own template."""
    return Font(path)


def fit_text(
    font: Font,
    text: str,
    parameter: str,
    area_mm: tuple[float, float],
    heights_mm: Sequence[float],
    tracking: float = 0.0,
) -> TextOutline:
    """The largest of ``heights_mm`` at which ``text`` fits ``area_mm`` (width, height).

    Raises with the width the text needs at the smallest height and the width there is, e.g.
    "the text 'Ångström' is 52 mm wide; this grip fits 38 mm".
    """
    font.check(text, parameter)
    width, height = area_mm
    smallest = None
    for cap in sorted(heights_mm, reverse=True):
        if cap > height:
            continue
        smallest = font.outline(text, cap, tracking)
        if smallest.width_mm <= width:
            return smallest
    if smallest is None:
        raise InvalidParameter(f"parameter {parameter!r}: there is no room for text here")
    raise InvalidParameter(
        f"parameter {parameter!r}: the text {text!r} is {smallest.width_mm:.0f} mm wide even "
        f"with letters {smallest.cap_height_mm:g} mm tall; this product fits {width:.0f} mm: "
        "use fewer or narrower characters"
    )
