import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from microfab.errors import InvalidNetwork
from microfab.network.loader import build_network, demo_document, load_network_file, normal_form
from microfab.network.model import FACTORY_OBJECTIVE, Network, Process
from microfab.scheduling.model import Criterion, Objective


def write(tmp_path: Path, document: Any) -> Path:
    path = tmp_path / "network.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), "utf-8")
    return path


@pytest.fixture
def doc() -> dict[str, Any]:
    return copy.deepcopy(demo_document())


def test_the_demo_network_has_what_a_regional_network_needs(network: Network) -> None:
    assert len(network.factories) >= 8
    assert len(network.central_plants) == 2
    assert sum(len(f.machines) for f in network.factories) >= 40
    assert len(network.products) >= 6
    used = {m.process for f in network.factories for m in f.machines}
    assert used == set(Process)
    overseas = [p for p in network.central_plants if p.region_id != "de"]
    assert overseas, "one central plant stands for the overseas baseline"


def test_every_demo_product_can_be_made_by_some_micro_factory(network: Network) -> None:
    for product in network.products.values():
        for material in product.materials:
            makers = [f.id for f in network.factories if f.can_make(product, material)]
            assert makers, f"{product.id} in {material}"


def test_malformed_yaml_names_the_file_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("name: x\nfactories: [\n  - id: a\n", "utf-8")
    with pytest.raises(InvalidNetwork, match=r"broken\.yaml: line \d+, column \d+: malformed YAML"):
        load_network_file(path)


def test_a_file_that_is_not_a_mapping_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "list.yaml"
    path.write_text("- 1\n- 2\n", "utf-8")
    with pytest.raises(InvalidNetwork, match="must hold a mapping"):
        load_network_file(path)


def test_an_unknown_process_names_the_path_and_the_known_ones(
    tmp_path: Path, doc: dict[str, Any]
) -> None:
    doc["factories"][2]["machines"][0]["process"] = "fdm2"
    with pytest.raises(InvalidNetwork) as caught:
        load_network_file(write(tmp_path, doc))
    assert caught.value.message == (
        f"{tmp_path / 'network.yaml'}: factories[2].machines[0].process: unknown process 'fdm2' "
        "(known: fdm, sla, sls, cnc_mill, laser_cut, textile_cut, sewing, assembly)"
    )


def test_an_unknown_material_on_a_machine_is_named(doc: dict[str, Any]) -> None:
    doc["factories"][0]["machines"][0]["materials"].append("unobtainium")
    with pytest.raises(
        InvalidNetwork,
        match=r"factories\[0\]\.machines\[0\]\.materials\[3\]: "
        r"unknown material 'unobtainium'",
    ):
        build_network(doc, "net.yaml")


def test_an_unknown_material_on_a_product_is_named(doc: dict[str, Any]) -> None:
    doc["products"][0]["materials"] = ["pla", "gold"]
    with pytest.raises(InvalidNetwork, match=r"products\[0\]\.materials\[1\]: unknown material"):
        build_network(doc, "net.yaml")


def test_a_misspelt_field_is_reported_as_unknown(doc: dict[str, Any]) -> None:
    doc["factories"][1]["machines"][0]["powr_kw"] = 1
    with pytest.raises(
        InvalidNetwork, match=r"factories\[1\]\.machines\[0\]\.powr_kw: unknown field"
    ):
        build_network(doc, "net.yaml")


def test_a_missing_field_is_reported(doc: dict[str, Any]) -> None:
    del doc["factories"][0]["lat"]
    with pytest.raises(InvalidNetwork, match=r"factories\[0\]\.lat: required field is missing"):
        build_network(doc, "net.yaml")


def test_a_negative_power_is_refused(doc: dict[str, Any]) -> None:
    doc["factories"][0]["machines"][0]["power_kw"] = -1
    with pytest.raises(InvalidNetwork, match=r"power_kw: Input should be greater than 0"):
        build_network(doc, "net.yaml")


def test_a_batch_machine_holds_at_least_one_part(doc: dict[str, Any]) -> None:
    doc["factories"][0]["machines"][0]["batch_capacity"] = 0
    with pytest.raises(InvalidNetwork, match=r"batch_capacity: Input should be greater than or"):
        build_network(doc, "net.yaml")


def test_the_demo_sls_and_resin_printers_make_parts_in_batches(network: Network) -> None:
    capacity = {m.process.value: m.batch_capacity for s in network.factories for m in s.machines}
    assert capacity["sls"] == 16
    assert capacity["sla"] == 6
    assert capacity["fdm"] == 1


def test_a_lane_to_nowhere_is_refused(doc: dict[str, Any]) -> None:
    doc["lanes"][0]["destination"] = "atlantis"
    with pytest.raises(InvalidNetwork, match=r"lanes\[0\]\.destination: unknown site or region"):
        build_network(doc, "net.yaml")


def test_two_sites_with_one_id_are_refused(doc: dict[str, Any]) -> None:
    doc["factories"][1]["id"] = doc["factories"][0]["id"]
    with pytest.raises(InvalidNetwork, match="sites: id 'berlin' is used twice"):
        build_network(doc, "net.yaml")


def test_a_default_outside_its_own_range_is_refused(doc: dict[str, Any]) -> None:
    doc["products"][1]["parameters"][0]["default"] = 10
    with pytest.raises(InvalidNetwork, match=r"products\[1\]\.parameters\[0\]\.default"):
        build_network(doc, "net.yaml")


def test_a_shift_with_unreadable_days_is_refused(doc: dict[str, Any]) -> None:
    doc["factories"][0]["operators"][0]["shifts"][0]["days"] = "monday-friday"
    with pytest.raises(InvalidNetwork, match="cannot read days 'monday-friday'"):
        build_network(doc, "net.yaml")


def test_a_factory_sets_its_objective_as_weights_or_as_an_order(doc: dict[str, Any]) -> None:
    doc["factories"][0]["objective"] = {"changeover": 5, "tardiness": 1}
    doc["factories"][1]["objective"] = ["changeover", "tardiness"]
    doc["factories"][2].pop("objective", None)

    network = build_network(normal_form(doc, "net.yaml"), "net.yaml")  # as stored, then read

    first, second, third = network.factories[:3]
    assert first.objective == Objective({Criterion.TARDINESS: 1, Criterion.CHANGEOVER: 5})
    assert second.objective == Objective(lexicographic=(Criterion.CHANGEOVER, Criterion.TARDINESS))
    assert third.objective == FACTORY_OBJECTIVE


@pytest.mark.parametrize(
    ("objective", "reason"),
    [
        ({"lateness": 3}, "unknown criterion 'lateness' (known: tardiness, changeover, makespan)"),
        ({"tardiness": -1}, "the weight of tardiness must be a whole number from 0 to 1000000"),
        ({"makespan": 1.5}, "the weight of makespan must be a whole number from 0 to 1000000"),
        ({"makespan": True}, "the weight of makespan must be a whole number from 0 to 1000000"),
        ({"tardiness": 0, "makespan": 0}, "give at least one criterion a weight above 0"),
        ([], "name at least one criterion"),
        (["makespan", "makespan"], "name each criterion once"),
        (["tardiness", "late"], "unknown criterion 'late' (known: tardiness, changeover, "
         "makespan)"),
        ("makespan", "write the objective as weights, e.g. {tardiness: 20, changeover: 2, "
         "makespan: 1}, or as criteria in order of importance, e.g. [tardiness, changeover]"),
    ],
)  # fmt: skip
def test_a_bad_objective_is_refused_with_its_path_and_what_to_write(
    doc: dict[str, Any], objective: Any, reason: str
) -> None:
    doc["factories"][1]["objective"] = objective
    with pytest.raises(InvalidNetwork) as caught:
        build_network(doc, "net.yaml")
    assert caught.value.message == f"net.yaml: factories[1].objective: {reason}"


def test_a_central_plant_is_given_no_objective(doc: dict[str, Any]) -> None:
    doc["central_plants"][0]["objective"] = ["makespan"]
    with pytest.raises(InvalidNetwork) as caught:
        build_network(doc, "net.yaml")
    assert caught.value.message == (
        "net.yaml: central_plants[0].objective: central plants are not planned here (they make "
        "standard components): give objectives to factories"
    )
