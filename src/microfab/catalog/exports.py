"""Manufacturing files and previews: STL and 3MF for solids, DXF and SVG for cut paths, PNG for
both (drawn with Pillow, so no display or GPU is needed).

``export(geometry, suffix)`` picks the format from a file suffix; 3MF carries the order line as
the part name and the material and colour as a base material (the 3MF materials extension).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from manifold3d import CrossSection, FillRule
from PIL import Image, ImageDraw

from microfab.catalog.geometry import Geometry, Sheet, Solid, polylines, signed_area
from microfab.errors import InvalidInput

PREVIEW_PIXELS = 480
NAMED_COLOURS: dict[str, tuple[int, int, int]] = {
    "black": (40, 40, 40),
    "white": (235, 235, 230),
    "red": (200, 40, 40),
    "blue": (40, 80, 190),
    "green": (40, 150, 70),
    "orange": (235, 130, 30),
}
DEFAULT_COLOUR = (150, 160, 175)
Colour = tuple[int, int, int] | str


@dataclass(frozen=True)
class Labels:
    """What a file says about the part: the order line as its name, its material and colour."""

    part_name: str = "part"
    material: str | None = None
    colour: str | None = None

    def rgb(self) -> tuple[int, int, int]:
        return rgb(self.colour)


def rgb(colour: str | None) -> tuple[int, int, int]:
    """A palette name or ``#rrggbb`` as red, green, blue."""
    if colour is None:
        return DEFAULT_COLOUR
    if colour.startswith("#") and len(colour) == 7:
        return (int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16))
    return NAMED_COLOURS.get(colour, DEFAULT_COLOUR)


def export(geometry: Geometry, suffix: str, labels: Labels | None = None) -> bytes:
    """The geometry in the format a file suffix names (``.stl .3mf .dxf .svg .png``)."""
    labels = labels or Labels()
    suffix = suffix.lower()
    if isinstance(geometry, Solid) and suffix in SOLID_WRITERS:
        return SOLID_WRITERS[suffix](geometry, labels)
    if isinstance(geometry, Sheet) and suffix in SHEET_WRITERS:
        return SHEET_WRITERS[suffix](geometry, labels)
    kind, known = (
        ("a solid", SOLID_WRITERS) if isinstance(geometry, Solid) else ("cut paths", SHEET_WRITERS)
    )
    raise InvalidInput(
        f"cannot write {kind} as {suffix or 'a file without suffix'}; "
        f"use one of: {', '.join(sorted(known))}"
    )


def stl(solid: Solid, labels: Labels) -> bytes:
    data = solid.mesh.export(file_type="stl")
    assert isinstance(data, bytes)
    return data


def three_mf(solid: Solid, labels: Labels) -> bytes:
    """A 3MF package: one named mesh object with its material and display colour."""
    import lib3mf  # imported here: its native library loads in ~40 ms, only 3MF needs it

    wrapper = lib3mf.get_wrapper()
    model = wrapper.CreateModel()
    part = model.AddMeshObject()
    part.SetName(labels.part_name)
    mesh = solid.mesh
    part.SetGeometry(
        [lib3mf.Position(tuple(map(float, v))) for v in mesh.vertices],
        [lib3mf.Triangle(tuple(map(int, f))) for f in mesh.faces],
    )
    if labels.material or labels.colour:
        group = model.AddBaseMaterialGroup()
        colour = lib3mf.Color()
        colour.Red, colour.Green, colour.Blue = labels.rgb()
        colour.Alpha = 255
        name = " ".join(x for x in (labels.material, labels.colour) if x)
        part.SetObjectLevelProperty(group.GetResourceID(), group.AddMaterial(name, colour))
    model.AddBuildItem(part, wrapper.GetIdentityTransform())
    return bytes(model.QueryWriter("3mf").WriteToBuffer())


def dxf(sheet: Sheet, labels: Labels) -> bytes:
    """Closed polylines on layer CUT, engraving outlines on layer ENGRAVE, in millimetres."""
    from ezdxf.filemanagement import new

    document = new("R2010", units=4)  # 4: millimetres
    document.layers.add("CUT", color=1)
    document.layers.add("ENGRAVE", color=5)
    space = document.modelspace()
    for path in sheet.cut:
        space.add_lwpolyline(path.tolist(), close=True, dxfattribs={"layer": "CUT"})
    for path in polylines(sheet.engrave):
        space.add_lwpolyline(path.tolist(), close=True, dxfattribs={"layer": "ENGRAVE"})
    stream = io.StringIO()
    document.write(stream)
    return stream.getvalue().encode("utf-8")


def svg(sheet: Sheet, labels: Labels) -> bytes:
    """Cut paths as red hairlines, engraving as black fill (the common laser convention)."""
    width, height = sheet.size_mm
    lo = np.concatenate(sheet.cut).min(axis=0) if sheet.cut else np.zeros(2)
    cut = "".join(_svg_path(p, lo, height) for p in sheet.cut)
    engrave = "".join(_svg_path(p, lo, height) for p in polylines(sheet.engrave))
    text = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.3f}mm" height="{height:.3f}mm" '
        f'viewBox="0 0 {width:.3f} {height:.3f}">\n'
        f"<title>{_escape(labels.part_name)}</title>\n"
        f'<path id="engrave" fill="#000" fill-rule="nonzero" d="{engrave}"/>\n'
        f'<path id="cut" fill="none" stroke="#f00" stroke-width="0.1" d="{cut}"/>\n'
        "</svg>\n"
    )
    return text.encode("utf-8")


def _svg_path(points: np.ndarray, lo: np.ndarray, height: float) -> str:
    flipped = np.column_stack([points[:, 0] - lo[0], height - (points[:, 1] - lo[1])])
    return "M" + "L".join(f"{x:.3f},{y:.3f}" for x, y in flipped) + "Z"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def png_solid(solid: Solid, labels: Labels) -> bytes:
    """An isometric, flat-shaded view: faces drawn back to front (painter's algorithm)."""
    mesh = solid.mesh
    view = _isometric(np.asarray(mesh.vertices))
    triangles = view[np.asarray(mesh.faces)]
    normals = np.cross(triangles[:, 1] - triangles[:, 0], triangles[:, 2] - triangles[:, 0])
    lengths = np.linalg.norm(normals, axis=1)
    facing = (normals[:, 2] > 0) & (lengths > 0)
    triangles, normals = triangles[facing], normals[facing] / lengths[facing, None]
    light = np.array([-0.3, 0.5, 0.8]) / np.linalg.norm([-0.3, 0.5, 0.8])
    shade = 0.35 + 0.65 * np.clip(normals @ light, 0, 1)
    order = np.argsort(triangles[:, :, 2].mean(axis=1))
    image, to_pixels = _canvas(view[:, :2])
    draw = ImageDraw.Draw(image)
    base = np.array(labels.rgb(), dtype=np.float64)
    for index in order:
        colour = tuple(int(c) for c in base * shade[index])
        draw.polygon([tuple(p) for p in to_pixels(triangles[index, :, :2])], fill=colour)
    return _png(image)


def png_sheet(sheet: Sheet, labels: Labels) -> bytes:
    """The sheet from above: material light, engraving dark, cut lines red."""
    points = np.concatenate(sheet.cut) if sheet.cut else np.zeros((1, 2))
    image, to_pixels = _canvas(points)
    draw = ImageDraw.Draw(image)
    material = CrossSection([p.tolist() for p in sheet.cut], FillRule.EvenOdd)
    _fill(draw, to_pixels, polylines(material), (225, 200, 160), "white", (200, 0, 0))
    _fill(draw, to_pixels, polylines(sheet.engrave), (70, 50, 35), (225, 200, 160), None)
    return _png(image)


def _fill(
    draw: ImageDraw.ImageDraw,
    to_pixels: Callable[[np.ndarray], np.ndarray],
    contours: tuple[np.ndarray, ...],
    solid: Colour,
    hole: Colour,
    outline: Colour | None,
) -> None:
    """Outer contours (counter-clockwise) filled first, then their holes over them."""
    for path in sorted(contours, key=signed_area, reverse=True):
        fill = solid if signed_area(path) > 0 else hole
        draw.polygon([tuple(p) for p in to_pixels(path)], fill=fill, outline=outline)


def _isometric(vertices: np.ndarray) -> np.ndarray:
    """Vertices seen from the front-right, above: x right, y up, z towards the viewer."""
    yaw, pitch = np.radians(-35.0), np.radians(-55.0)
    turn = np.array([[np.cos(yaw), -np.sin(yaw), 0], [np.sin(yaw), np.cos(yaw), 0], [0, 0, 1]])
    tilt = np.array(
        [[1, 0, 0], [0, np.cos(pitch), -np.sin(pitch)], [0, np.sin(pitch), np.cos(pitch)]]
    )
    rotated: np.ndarray = vertices @ turn.T @ tilt.T
    return rotated


def _canvas(
    points: np.ndarray,
) -> tuple[Image.Image, Callable[[np.ndarray], np.ndarray]]:
    """A white square image and the map from drawing units to its pixels (y up, centred)."""
    lo, hi = points.min(axis=0), points.max(axis=0)
    scale = 0.9 * PREVIEW_PIXELS / max(float((hi - lo).max()), 1e-6)
    centre = (lo + hi) / 2

    def to_pixels(xy: np.ndarray) -> np.ndarray:
        pixels = (xy - centre) * scale
        return np.column_stack(
            [PREVIEW_PIXELS / 2 + pixels[:, 0], PREVIEW_PIXELS / 2 - pixels[:, 1]]
        )

    return Image.new("RGB", (PREVIEW_PIXELS, PREVIEW_PIXELS), "white"), to_pixels


def _png(image: Image.Image) -> bytes:
    stream = io.BytesIO()
    image.save(stream, format="PNG", optimize=False)
    return stream.getvalue()


SOLID_WRITERS: dict[str, Callable[[Solid, Labels], bytes]] = {
    ".stl": stl,
    ".3mf": three_mf,
    ".png": png_solid,
}
SHEET_WRITERS: dict[str, Callable[[Sheet, Labels], bytes]] = {
    ".dxf": dxf,
    ".svg": svg,
    ".png": png_sheet,
}
