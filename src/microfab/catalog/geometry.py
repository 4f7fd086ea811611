"""What a template builds: a ``Solid`` (a closed mesh, for printing and milling) or a ``Sheet``
(closed 2-D cut paths and engraved areas, for laser and textile cutting).

Solids are built with manifold3d, whose booleans always give a manifold, and handed to trimesh
for export and checks; sheets are manifold3d cross-sections, exported as polylines.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from manifold3d import CrossSection, JoinType, Manifold, Mesh

if TYPE_CHECKING:
    import trimesh

Polyline = np.ndarray
"""An (n, 2) array of points in millimetres; closed (the last point joins the first)."""

CIRCLE_SEGMENTS = 48
"""Segments of a full circle: a 20 mm knob is then off a true circle by < 0.05 mm."""


@dataclass(frozen=True, eq=False)
class Solid:
    """A closed, oriented mesh in millimetres, resting on z = 0."""

    manifold: Manifold

    @functools.cached_property
    def mesh(self) -> trimesh.Trimesh:
        """The same solid as a trimesh mesh (vertices shared, not processed again)."""
        import trimesh  # about 170 ms to import: only commands that need a mesh pay for it

        mesh = self.manifold.to_mesh()
        return trimesh.Trimesh(
            vertices=np.asarray(mesh.vert_properties)[:, :3],
            faces=np.asarray(mesh.tri_verts),
            process=False,
        )

    @property
    def size_mm(self) -> tuple[float, float, float]:
        lo, hi = np.split(np.asarray(self.manifold.bounding_box()), 2)
        x, y, z = (hi - lo).tolist()
        return (x, y, z)

    @property
    def volume_mm3(self) -> float:
        return float(self.manifold.volume())

    @property
    def shells(self) -> int:
        return len(self.manifold.decompose())

    @classmethod
    def of_mesh(cls, vertices: np.ndarray, faces: np.ndarray) -> Solid | None:
        """A solid from a triangle mesh, or None when the mesh is not a closed manifold."""
        mesh = Mesh(
            vert_properties=np.ascontiguousarray(vertices, dtype=np.float32),
            tri_verts=np.ascontiguousarray(faces, dtype=np.uint32),
        )
        manifold = Manifold(mesh)
        if manifold.status().name != "NoError" or manifold.is_empty():
            return None
        return cls(on_bed(manifold))


@dataclass(frozen=True, eq=False)
class Sheet:
    """Flat work: closed cut paths, an area to engrave and the stock it is cut from."""

    cut: tuple[Polyline, ...]
    engrave: CrossSection = field(default_factory=CrossSection)
    labels: tuple[str, ...] = ()
    """A name per cut path that is a separate piece (e.g. ``front panel``), for the cutter."""

    @property
    def size_mm(self) -> tuple[float, float]:
        points = np.concatenate(self.cut) if self.cut else np.zeros((1, 2))
        x, y = (points.max(axis=0) - points.min(axis=0)).tolist()
        return (x, y)

    @property
    def cut_length_mm(self) -> float:
        return sum(polyline_length(p) for p in self.cut)

    @property
    def pierces(self) -> int:
        """One pierce per closed cut path."""
        return len(self.cut)

    @property
    def engrave_area_mm2(self) -> float:
        return float(self.engrave.area())


Geometry = Solid | Sheet


def polyline_length(points: Polyline) -> float:
    """Length of a closed polyline."""
    return float(np.linalg.norm(np.roll(points, -1, axis=0) - points, axis=1).sum())


def signed_area(points: Polyline) -> float:
    """Area of a closed polyline (shoelace): positive counter-clockwise, negative clockwise."""
    x, y = points[:, 0], points[:, 1]
    return float(0.5 * (x @ np.roll(y, -1) - y @ np.roll(x, -1)))


def on_bed(solid: Manifold) -> Manifold:
    """``solid`` moved so its bounding box starts at the origin (x, y) and rests on z = 0."""
    lo = np.asarray(solid.bounding_box())[:3]
    return solid.translate((-float(lo[0]), -float(lo[1]), -float(lo[2])))


def rounded_rectangle(width: float, height: float, radius: float) -> CrossSection:
    """A rectangle centred on the origin with rounded corners."""
    radius = min(radius, width / 2, height / 2) * 0.999
    if radius <= 0:
        return CrossSection.square((width, height), center=True)
    inner = CrossSection.square((width - 2 * radius, height - 2 * radius), center=True)
    return inner.offset(radius, join_type=JoinType.Round, circular_segments=CIRCLE_SEGMENTS)


def circle(radius: float, centre: tuple[float, float] = (0.0, 0.0)) -> CrossSection:
    return CrossSection.circle(radius, CIRCLE_SEGMENTS).translate(centre)


def hull_of_circles(circles: Sequence[tuple[float, float, float]]) -> CrossSection:
    """The convex hull of circles given as (x, y, radius)."""
    return CrossSection.batch_hull([circle(r, (x, y)) for x, y, r in circles])


def polylines(section: CrossSection) -> tuple[Polyline, ...]:
    """The closed contours of a cross-section as polylines."""
    return tuple(np.asarray(p, dtype=np.float64) for p in section.to_polygons() if len(p) >= 3)
