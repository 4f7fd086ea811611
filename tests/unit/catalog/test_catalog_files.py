"""Exports (STL, 3MF, DXF, SVG, PNG) and uploads read back safely."""

from __future__ import annotations

import io
import struct
import zipfile
from typing import TYPE_CHECKING

import pytest

from microfab.catalog.errors import UploadRejected, UploadTooLarge
from microfab.catalog.exports import Labels, export
from microfab.catalog.geometry import Solid
from microfab.catalog.uploads import UploadLimits, read_model
from microfab.errors import InvalidInput

if TYPE_CHECKING:
    from conftest import Make


def test_an_exported_stl_uploads_back_as_the_same_solid(make: Make) -> None:
    solid = make("window-crank-knob")
    assert isinstance(solid, Solid)
    back = read_model(export(solid, ".stl"), "knob.stl")
    assert back.volume_mm3 == pytest.approx(solid.volume_mm3, rel=1e-4)


def test_a_3mf_names_the_order_line_and_carries_material_and_colour(make: Make) -> None:
    data = export(make("phone-grip", name="Ada"), ".3mf", Labels("ord_7 line 1", "petg", "red"))
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        model = package.read("3D/3dmodel.model").decode()
    assert 'name="ord_7 line 1"' in model
    assert 'name="petg red"' in model
    assert 'displaycolor="#C82828' in model
    assert read_model(data, "grip.3mf").shells == 1


def test_cut_paths_go_to_dxf_and_svg_on_their_layers(make: Make) -> None:
    from ezdxf.filemanagement import read

    sign = make("name-sign", text="Nr. 5")
    document = read(io.StringIO(export(sign, ".dxf").decode()))
    cuts = document.modelspace().query('LWPOLYLINE[layer=="CUT"]')
    assert len(cuts) == 3
    assert all(p.closed for p in cuts)
    assert document.modelspace().query('LWPOLYLINE[layer=="ENGRAVE"]')
    svg = export(sign, ".svg").decode()
    assert 'width="300.000mm"' in svg
    assert 'id="cut"' in svg


@pytest.mark.parametrize("template_id", ["phone-grip", "tote-bag"])
def test_a_png_preview_is_drawn_without_a_display(make: Make, template_id: str) -> None:
    png = export(make(template_id), ".png")
    assert png.startswith(b"\x89PNG")
    assert struct.unpack(">II", png[16:24]) == (480, 480)


def test_a_format_that_does_not_fit_the_geometry_says_which_do(make: Make) -> None:
    with pytest.raises(InvalidInput, match=r"cannot write a solid as \.dxf; use one of: \.3mf"):
        export(make("phone-grip"), ".dxf")


def test_a_malformed_stl_is_refused() -> None:
    with pytest.raises(UploadRejected, match=r"knob\.stl is not a valid STL file"):
        read_model(b"\x00" * 200, "knob.stl")


def test_an_stl_with_a_hole_in_its_surface_is_refused_as_not_closed(make: Make) -> None:
    solid = make("mounting-bracket")
    assert isinstance(solid, Solid)
    data = export(solid, ".stl")
    count = struct.unpack_from("<I", data, 80)[0] - 1
    open_mesh = data[:80] + struct.pack("<I", count) + data[84 : 84 + 50 * count]
    with pytest.raises(UploadRejected, match=r"bracket.stl is not a closed solid \(\d+ edges"):
        read_model(open_mesh, "bracket.stl")


def test_an_upload_over_the_size_limit_is_refused_before_parsing() -> None:
    with pytest.raises(UploadTooLarge, match="is 2048 bytes; uploads may be at most 1024"):
        read_model(b"x" * 2048, "big.stl", UploadLimits(max_bytes=1024))


def test_a_3mf_zip_bomb_is_refused_while_unpacking() -> None:
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("3D/3dmodel.model", b"<model>" + b" " * 20_000_000 + b"</model>")
    with pytest.raises(UploadTooLarge, match="looks like a zip bomb"):
        read_model(stream.getvalue(), "bomb.3mf")


def test_a_3mf_that_declares_entities_is_refused() -> None:
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w") as package:
        package.writestr("3D/3dmodel.model", '<!DOCTYPE m [<!ENTITY a "aaaa">]><model/>')
    with pytest.raises(UploadRejected, match="may not declare XML entities"):
        read_model(stream.getvalue(), "laughs.3mf")


def test_a_file_that_is_neither_stl_nor_3mf_is_refused() -> None:
    with pytest.raises(UploadRejected, match=r"upload an \.stl or \.3mf file"):
        read_model(b"solid", "model.obj")
    with pytest.raises(UploadRejected, match="not a 3MF file"):
        read_model(b"not a zip", "model.3mf")
