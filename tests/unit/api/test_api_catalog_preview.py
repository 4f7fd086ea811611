"""POST /v1/catalog/{product}/preview and POST /v1/uploads: checks, estimates, precise 4xx."""

from __future__ import annotations

import base64
import io
import zipfile
from typing import TYPE_CHECKING, Any

import httpx
import pytest
import trimesh

from microfab.catalog.registry import Registry
from microfab.catalog.service import CatalogService
from microfab.catalog.uploads import UploadLimits

if TYPE_CHECKING:
    from conftest import Api


@pytest.fixture
def catalog_api(api: Api) -> Api:
    """The API with the catalog building in-process (the worker process is tested elsewhere)."""
    app: Any = api.client.app
    app.state.catalog = CatalogService(Registry(entry_points_enabled=False))
    return api


def preview(api: Api, product: str, who: str = "customer", **body: Any) -> httpx.Response:
    return api.post(f"/v1/catalog/{product}/preview", body, who)


def upload(api: Api, data: bytes, filename: str) -> httpx.Response:
    return api.client.post(
        "/v1/uploads",
        params={"filename": filename},
        content=data,
        headers=api.headers("customer") | {"Content-Type": "application/octet-stream"},
    )


def assert_problem(response: httpx.Response, status: int, detail: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert detail in response.json()["detail"]


def test_a_preview_has_checks_estimates_and_a_thumbnail(catalog_api: Api) -> None:
    response = preview(catalog_api, "phone-grip", params={"name": "Ada Lovelace"}, material="pla")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["template"] == "phone-grip"
    assert body["geometry"]["kind"] == "solid"
    assert body["geometry"]["size_mm"] == [72.0, 30.0, 4.0]
    machines = body["machines"]
    assert {m["machine"] for m in machines} == {"Prusa MK4", "Prusa XL"}
    assert all(m["printable"] for m in machines)
    assert all(m["estimate"]["minutes"] > 10 for m in machines)
    assert base64.b64decode(body["thumbnail_png"]).startswith(b"\x89PNG")


def test_a_sign_preview_estimates_laser_time(catalog_api: Api) -> None:
    body = preview(catalog_api, "name-sign", params={"text": "Haus 5"}, thumbnail=False).json()
    assert body["geometry"]["kind"] == "sheet"
    assert body["machines"][0]["estimate"]["process"] == "laser_cut"
    assert body["thumbnail_png"] is None


@pytest.mark.parametrize(
    ("params", "detail"),
    [
        ({"name": "Ada", "style": "bold"}, "parameter 'style' must be one of embossed, engraved"),
        ({"name": 42}, "parameter 'name' must be text, not 42"),
        ({"name": "Ωmega"}, "parameter 'name' has characters that cannot be made: 'Ω'"),
        ({"name": "A" * 13}, "parameter 'name' is 13 characters long; at most 12 fit"),
        ({"name": "WWWWWWWWWWWW"}, "'WWWWWWWWWWWW' is 91 mm wide even with letters 5 mm tall"),
    ],
)
def test_bad_parameters_are_422_with_a_precise_message(
    catalog_api: Api, params: dict[str, Any], detail: str
) -> None:
    assert_problem(preview(catalog_api, "phone-grip", params=params), 422, detail)


def test_an_out_of_range_number_is_422(catalog_api: Api) -> None:
    response = preview(catalog_api, "custom-insole", params={"foot_length_mm": 10})
    assert_problem(response, 422, "'foot_length_mm' is 10 mm; the smallest allowed is 200 mm")


def test_a_product_without_geometry_is_404(catalog_api: Api) -> None:
    assert_problem(preview(catalog_api, "desk-lamp"), 404, "has no geometry template")


def test_an_insole_only_the_big_printer_holds_is_previewed_there(catalog_api: Api) -> None:
    body = preview(catalog_api, "custom-insole", params={"foot_length_mm": 300}).json()
    verdicts = {m["machine"]: m["printable"] for m in body["machines"]}
    assert verdicts == {"Prusa MK4": False, "Prusa XL": True}


def test_an_uploaded_stl_is_checked_and_estimated(catalog_api: Api) -> None:
    cube = trimesh.creation.box((20, 20, 20)).export(file_type="stl")
    response = upload(catalog_api, cube, "cube.stl")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["geometry"]["volume_mm3"] == pytest.approx(8000, rel=1e-3)
    assert all(m["estimate"]["minutes"] > 5 for m in body["machines"])


def test_an_upload_no_printer_can_hold_is_422(catalog_api: Api) -> None:
    box = trimesh.creation.box((400, 400, 400)).export(file_type="stl")
    response = upload(catalog_api, box, "box.stl")
    assert_problem(response, 422, "the part is 400 × 400 × 400 mm; the machine holds at most")


def test_a_non_manifold_upload_is_422(catalog_api: Api) -> None:
    mesh = trimesh.creation.box((20, 20, 20))
    mesh.update_faces([i != 0 for i in range(len(mesh.faces))])
    response = upload(catalog_api, mesh.export(file_type="stl"), "open.stl")
    assert_problem(response, 422, "open.stl is not a closed solid")


def test_a_malformed_3mf_is_422(catalog_api: Api) -> None:
    assert_problem(upload(catalog_api, b"PK\x03\x04broken", "x.3mf"), 422, "not a zip package")


def test_a_3mf_zip_bomb_is_413(catalog_api: Api) -> None:
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("3D/3dmodel.model", b" " * 50_000_000)
    response = upload(catalog_api, stream.getvalue(), "bomb.3mf")
    assert_problem(response, 413, "looks like a zip bomb")


def test_an_upload_over_the_size_limit_is_413(catalog_api: Api) -> None:
    limit = UploadLimits().max_bytes
    response = upload(catalog_api, b"\x00" * (limit + 1), "huge.stl")
    assert_problem(response, 413, f"at most {limit} are accepted")


def test_an_upload_may_be_larger_than_other_request_bodies(catalog_api: Api) -> None:
    response = upload(catalog_api, b"\x00" * (2 * 1024 * 1024), "big.stl")
    assert response.status_code == 422, response.text
    assert "accepted" not in response.json()["detail"]
