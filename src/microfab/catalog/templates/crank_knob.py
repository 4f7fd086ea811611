"""Classic-car window crank knob: a turned body bored for the shaft, an optional tapped cross
hole for the retaining screw and a symbol engraved in its top."""

from __future__ import annotations

import math

import numpy as np
from manifold3d import CrossSection, Manifold, OpType

from microfab.catalog.geometry import CIRCLE_SEGMENTS, Solid, circle, on_bed, rounded_rectangle
from microfab.catalog.model import Parameter, ParameterKind
from microfab.catalog.template import Kind, Template, Values, choice, number
from microfab.catalog.templates.common import millimetres

TAP_DRILL_MM = {"M4": 3.3, "M5": 4.2, "M6": 5.0, "M8": 6.8}
"""ISO coarse-thread tap drills: the hole the thread is cut into."""
ENGRAVE_DEPTH = 0.6
WALL = 5.0
"""Material around the shaft bore, in mm: the cross hole needs room for three threads."""

PARAMETERS = (
    millimetres("shaft_diameter_mm", 8, 4, 16, "Diameter of the shaft the knob sits on"),
    millimetres("length_mm", 30, 15, 60, "Overall length"),
    Parameter(
        name="thread",
        kind=ParameterKind.CHOICE,
        default="M6",
        choices=("none", *TAP_DRILL_MM),
        description="Thread for the retaining screw",
    ),
    Parameter(
        name="symbol",
        kind=ParameterKind.CHOICE,
        default="arrows",
        choices=("none", "arrows", "window", "dot", "star"),
        description="Symbol engraved in the top of the knob",
    ),
)


def build(values: Values) -> Solid:
    shaft, length = number(values, "shaft_diameter_mm"), number(values, "length_mm")
    radius = max(10.0, shaft / 2 + WALL + 2.0)
    body = _body(radius, length)
    depth = min(0.6 * length, length - 6.0)
    bore = Manifold.cylinder(depth + 0.01, shaft / 2, shaft / 2, CIRCLE_SEGMENTS).translate(
        (0, 0, -0.01)
    )
    body -= bore
    thread = choice(values, "thread")
    if thread != "none":
        drill = TAP_DRILL_MM[thread] / 2
        cross = Manifold.cylinder(radius + 1.0, drill, drill, CIRCLE_SEGMENTS)
        body -= cross.rotate((0.0, 90.0, 0.0)).translate((0, 0, min(depth / 2, 8.0)))
    symbol = _symbol(choice(values, "symbol"), 0.55 * (radius - 2.0))
    if not symbol.is_empty():
        body -= symbol.extrude(ENGRAVE_DEPTH + 0.01).translate((0, 0, length - ENGRAVE_DEPTH))
    return Solid(on_bed(body))


def _body(radius: float, length: float) -> Manifold:
    """A neck that swells into a rounded mushroom head: the profile turned about z."""
    neck = 0.75 * radius
    fillet = [
        (radius - 2.0 + 2.0 * math.sin(a), length - 2.0 + 2.0 * math.cos(a))
        for a in np.linspace(math.pi / 2, 0, 6)
    ]
    profile = [
        (0.0, 0.0),
        (neck, 0.0),
        (neck, 0.35 * length),
        (radius, 0.6 * length),
        *fillet,
        (0.0, length),
    ]
    return CrossSection([profile]).revolve(CIRCLE_SEGMENTS)


def _symbol(name: str, size: float) -> CrossSection:
    """An engraving ``2 × size`` across, centred on the origin."""
    match name:
        case "dot":
            return circle(0.35 * size)
        case "window":
            frame = rounded_rectangle(1.6 * size, 1.6 * size, 0.2 * size)
            pane = CrossSection.square((0.62 * size, 0.62 * size))
            panes = [
                pane.translate((dx, dy))
                for dx in (-0.7 * size, 0.08 * size)
                for dy in (-0.7 * size, 0.08 * size)
            ]
            return frame - CrossSection.batch_boolean(panes, OpType.Add)
        case "star":
            points = [
                (
                    (size if k % 2 == 0 else 0.45 * size) * math.sin(k * math.pi / 5),
                    (size if k % 2 == 0 else 0.45 * size) * math.cos(k * math.pi / 5),
                )
                for k in range(10)
            ]
            return CrossSection([points])
        case "arrows":
            head = [(0.0, size), (-0.45 * size, 0.45 * size), (0.45 * size, 0.45 * size)]
            up = CrossSection([head]) + CrossSection.square((0.3 * size, 0.6 * size)).translate(
                (-0.15 * size, 0.0)
            )
            return up + up.rotate(180.0)
    return CrossSection()


TEMPLATE = Template(
    id="window-crank-knob",
    name="Classic-car window crank knob",
    version=1,
    kind=Kind.SOLID,
    parameters=PARAMETERS,
    build=build,
    processes=("cnc_mill", "fdm"),
    materials=("aluminium-6061", "brass", "pom"),
    description="A spare knob milled to the shaft diameter and length of the original.",
)
