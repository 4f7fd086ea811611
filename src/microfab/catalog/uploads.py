"""Customer uploads of STL and 3MF models, read defensively.

Limits come first (bytes, triangles, zip entries, unpacked size, compression ratio), parsing
second; a 3MF is unpacked in chunks that stop at the limit, whatever sizes its zip directory
claims. The result must be one closed, manifold solid, or the customer hears what is wrong.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
from dataclasses import dataclass
from xml.etree import ElementTree

import numpy as np
import trimesh

from microfab.catalog.errors import UploadRejected, UploadTooLarge
from microfab.catalog.geometry import Solid

MODEL_PART = "3D/3dmodel.model"
UNITS_MM = {
    "micron": 0.001,
    "millimeter": 1.0,
    "centimeter": 10.0,
    "inch": 25.4,
    "foot": 304.8,
    "meter": 1000.0,
}
CHUNK = 64 * 1024


@dataclass(frozen=True)
class UploadLimits:
    max_bytes: int = 32 * 1024 * 1024
    """A printable part's binary STL is rarely above a few MiB; the API lets upload bodies
    this large through (other request bodies stop at 1 MiB)."""
    max_unpacked_bytes: int = 32 * 1024 * 1024
    max_ratio: float = 100.0
    """Deflate reaches ~5-10× on 3MF XML; a ratio of 100 is a bomb, not a model."""
    max_entries: int = 64
    max_triangles: int = 300_000


def read_model(data: bytes, filename: str, limits: UploadLimits = UploadLimits()) -> Solid:
    """The solid in an uploaded ``.stl`` or ``.3mf`` file."""
    if len(data) > limits.max_bytes:
        raise UploadTooLarge(
            f"{filename} is {len(data)} bytes; uploads may be at most {limits.max_bytes} bytes"
        )
    suffix = filename.lower().rsplit(".", 1)[-1] if "." in filename else ""
    if suffix == "stl":
        vertices, faces = _stl(data, filename)
    elif suffix == "3mf":
        vertices, faces = _three_mf(data, filename, limits)
    else:
        raise UploadRejected(f"{filename}: upload an .stl or .3mf file")
    if len(faces) > limits.max_triangles:
        raise UploadTooLarge(
            f"{filename} has {len(faces)} triangles; at most {limits.max_triangles} are accepted"
        )
    return _solid(vertices, faces, filename)


def _solid(vertices: np.ndarray, faces: np.ndarray, filename: str) -> Solid:
    if len(faces) == 0:
        raise UploadRejected(f"{filename} holds no triangles")
    mesh = trimesh.Trimesh(vertices=vertices, faces=faces, process=True)
    if not mesh.is_watertight or not mesh.is_winding_consistent:
        edges = trimesh.grouping.group_rows(mesh.edges_sorted, require_count=1)  # type: ignore[no-untyped-call]
        raise UploadRejected(
            f"{filename} is not a closed solid ({len(edges)} edges border a hole or join more "
            "than two faces); repair it in your design tool (e.g. 'make manifold') and upload "
            "it again"
        )
    solid = Solid.of_mesh(np.asarray(mesh.vertices), np.asarray(mesh.faces))
    if solid is None:
        raise UploadRejected(f"{filename} is not a manifold solid; repair it and upload it again")
    return solid


def _stl(data: bytes, filename: str) -> tuple[np.ndarray, np.ndarray]:
    if len(data) >= 84:
        (count,) = struct.unpack_from("<I", data, 80)
        if len(data) == 84 + 50 * count:
            record = np.dtype([("n", "<f4", 3), ("v", "<f4", (3, 3)), ("a", "<u2")])
            triangles = np.frombuffer(data, dtype=record, count=count, offset=84)["v"]
            return _indexed(triangles.astype(np.float64))
    text = data[:CHUNK].decode("ascii", errors="replace").lstrip()
    if text.startswith("solid") and "facet" in text:
        return _ascii_stl(data.decode("ascii", errors="replace"), filename)
    raise UploadRejected(
        f"{filename} is not a valid STL file (neither binary with a matching triangle count "
        "nor ASCII)"
    )


def _ascii_stl(text: str, filename: str) -> tuple[np.ndarray, np.ndarray]:
    number = r"([-+0-9.eE]+)"
    found = re.findall(rf"vertex\s+{number}\s+{number}\s+{number}", text)
    if not found or len(found) % 3:
        raise UploadRejected(f"{filename}: the ASCII STL has no complete triangles")
    try:
        points = np.array(found, dtype=np.float64)
    except ValueError:
        raise UploadRejected(
            f"{filename}: the ASCII STL has a vertex that is not a number"
        ) from None
    return _indexed(points.reshape(-1, 3, 3))


def _indexed(triangles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if not np.isfinite(triangles).all():
        raise UploadRejected("the model has coordinates that are not finite numbers")
    vertices, inverse = np.unique(triangles.reshape(-1, 3), axis=0, return_inverse=True)
    return vertices, inverse.reshape(-1, 3)


def _three_mf(data: bytes, filename: str, limits: UploadLimits) -> tuple[np.ndarray, np.ndarray]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise UploadRejected(f"{filename} is not a 3MF file (not a zip package)") from None
    with archive:
        entries = archive.infolist()
        if len(entries) > limits.max_entries:
            raise UploadRejected(f"{filename} holds {len(entries)} files; a 3MF needs a few")
        model = next((e for e in entries if e.filename.lower() == MODEL_PART.lower()), None)
        if model is None:
            raise UploadRejected(f"{filename} has no {MODEL_PART}; it is not a 3MF model")
        xml = _unpack(archive, model, filename, limits)
    return _parse_model(xml, filename)


def _unpack(
    archive: zipfile.ZipFile, entry: zipfile.ZipInfo, filename: str, limits: UploadLimits
) -> bytes:
    """The entry's bytes, read in chunks that stop at the size and ratio limits."""
    most = min(limits.max_unpacked_bytes, int(max(entry.compress_size, 1) * limits.max_ratio))
    bomb = UploadTooLarge(
        f"{filename} unpacks to more than {most} bytes (compressed {entry.compress_size}); "
        "this looks like a zip bomb and is refused"
    )
    if entry.file_size > most:
        raise bomb
    out = bytearray()
    try:
        with archive.open(entry) as stream:
            while chunk := stream.read(CHUNK):
                out += chunk
                if len(out) > most:
                    raise bomb
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise UploadRejected(f"{filename}: the 3MF package is damaged ({exc})") from None
    return bytes(out)


def _parse_model(xml: bytes, filename: str) -> tuple[np.ndarray, np.ndarray]:
    if b"<!DOCTYPE" in xml[:4096] or b"<!ENTITY" in xml:
        raise UploadRejected(f"{filename}: 3MF models may not declare XML entities")
    try:
        root = ElementTree.fromstring(xml)
    except ElementTree.ParseError as exc:
        raise UploadRejected(f"{filename}: the 3MF model is not valid XML ({exc})") from None
    scale = UNITS_MM.get(root.get("unit", "millimeter"), 1.0)
    vertices: list[np.ndarray] = []
    faces: list[np.ndarray] = []
    offset = 0
    for mesh in root.iter():
        if not mesh.tag.endswith("}mesh"):
            continue
        points, triangles = _mesh_arrays(mesh, filename)
        vertices.append(points * scale)
        faces.append(triangles + offset)
        offset += len(points)
    if not vertices:
        raise UploadRejected(f"{filename}: the 3MF model holds no mesh")
    return _indexed(np.concatenate(vertices)[np.concatenate(faces)])


def _mesh_arrays(mesh: ElementTree.Element, filename: str) -> tuple[np.ndarray, np.ndarray]:
    try:
        points = np.array(
            [[float(v.get(a, "nan")) for a in "xyz"] for v in mesh.iter() if _is(v, "vertex")]
        )
        triangles = np.array(
            [
                [int(t.get(a, "-1")) for a in ("v1", "v2", "v3")]
                for t in mesh.iter()
                if _is(t, "triangle")
            ],
            dtype=np.int64,
        )
    except ValueError:
        raise UploadRejected(f"{filename}: a vertex or triangle is not a number") from None
    if len(points) == 0 or len(triangles) == 0:
        raise UploadRejected(f"{filename}: a 3MF mesh has no vertices or no triangles")
    if triangles.min() < 0 or triangles.max() >= len(points):
        raise UploadRejected(f"{filename}: a triangle refers to a vertex that does not exist")
    return points, triangles


def _is(element: ElementTree.Element, name: str) -> bool:
    return element.tag == name or element.tag.endswith("}" + name)
