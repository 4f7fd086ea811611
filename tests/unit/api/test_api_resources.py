"""The read side: network, factories, catalog, quotes and jobs."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree

from microfab.api.schemas.factories import ObjectivePublic
from microfab.bootstrap import Services
from microfab.clock import ManualClock
from microfab.execution.model import Task
from microfab.scheduling.model import Criterion, Objective

if TYPE_CHECKING:
    from conftest import Api


def test_the_network_summary_counts_its_sites(api: Api, services: Services) -> None:
    network = api.get("/v1/network", "planner").json()

    assert network["name"] == services.network.name
    assert network["currency"] == "EUR"
    assert network["counts"]["factories"] == len(services.network.factories)
    assert len(network["sites"]) == len(services.network.sites)
    assert {r["id"] for r in network["regions"]} == {"de", "cn-south"}


def test_factories_are_listed_and_an_operator_sees_only_their_own(
    api: Api, services: Services
) -> None:
    everyone = api.get("/v1/factories", "planner").json()["items"]
    operator = api.get("/v1/factories", "operator").json()["items"]

    assert [f["id"] for f in everyone] == [s.id for s in services.network.factories]
    assert [f["id"] for f in operator] == ["berlin"]
    assert operator[0]["timezone"] == "Europe/Berlin"
    assert "fdm" in operator[0]["processes"]
    assert operator[0]["objective"] == {
        "weights": {"tardiness": 20, "changeover": 2, "makespan": 1},
        "lexicographic": None,
    }


def test_an_objective_in_order_is_shown_as_its_criteria() -> None:
    order = Objective(lexicographic=(Criterion.CHANGEOVER, Criterion.TARDINESS))
    shown = ObjectivePublic.of(order).model_dump()
    assert shown == {"weights": None, "lexicographic": ["changeover", "tardiness"]}


def test_a_factory_shows_machines_queue_stock_and_people_on_shift(
    api: Api, services: Services
) -> None:
    api.place()
    controller = services.controller(seed=1)
    controller.step()  # routes the order and starts its first task
    controller.step()  # records the machine as busy

    factory = api.get("/v1/factories/berlin", "operator").json()

    busy = [m for m in factory["machines"] if m["state"] == "busy"]
    assert len(busy) == 1
    assert busy[0]["task_id"] == factory["queue"][0]["id"]
    assert busy[0]["setup_family"] == factory["queue"][0]["setup_family"], "what it is set for"
    assert {m["setup_family"] for m in factory["machines"] if m["state"] != "busy"} == {None}
    assert [t["state"] for t in factory["queue"]] == ["running", "scheduled"]
    assert factory["stock"]["pla"] < 40
    berlin = services.network.site("berlin")
    local = services.clock.now().astimezone(berlin.tz)
    early = {o.id for o in berlin.operators if any(s.covers(local) for s in o.shifts)}
    assert early, "someone works at 09:00 on a Monday"
    assert {o["id"] for o in factory["on_shift"]} == early
    assert factory["at"] == "2026-03-02T08:00:00Z"


def test_a_factory_shows_what_each_person_on_shift_attends_and_does_next(
    api: Api, services: Services, clock: ManualClock
) -> None:
    order = api.place()
    controller = services.controller(seed=1)
    controller.step()  # the grips print; the packing is planned for someone
    with services.uow() as uow:
        packing = uow.tasks.for_order(order["id"])[1]
    assert packing.operator_id is not None

    people = {p["id"]: p for p in api.get("/v1/factories/berlin", "operator").json()["on_shift"]}
    packer = people[packing.operator_id]
    assert packer["attending_task_id"] is None
    assert packer["next_task_id"] == packing.id
    assert datetime.fromisoformat(packer["next_planned_start"]) == packing.planned_start
    berlin = services.network.site("berlin")
    person = next(o for o in berlin.operators if o.id == packing.operator_id)
    assert datetime.fromisoformat(packer["shift_ends"]) == person.on_until(clock.now(), berlin.tz)
    assert all(p["next_task_id"] is None for i, p in people.items() if i != packer["id"])

    for _ in range(48):  # four hours at most
        if packing.state.value != "scheduled":
            break
        clock.advance(timedelta(minutes=5))
        controller.step()
        with services.uow() as uow:
            packing = uow.tasks.for_order(order["id"])[1]
    assert packing.state.value == "running"
    people = {p["id"]: p for p in api.get("/v1/factories/berlin", "operator").json()["on_shift"]}
    assert packing.operator_id is not None
    assert people[packing.operator_id]["attending_task_id"] == packing.id
    assert [p["id"] for p in people.values() if p["attending_task_id"]] == [packing.operator_id]


def test_an_unknown_factory_is_not_found(api: Api) -> None:
    response = api.get("/v1/factories/atlantis")

    assert response.status_code == 404
    assert response.json()["detail"].startswith("no factory 'atlantis'; known: berlin, ")


def test_the_catalog_lists_every_product(api: Api, services: Services) -> None:
    products = api.get("/v1/catalog", "customer").json()["items"]

    assert [p["id"] for p in products] == sorted(services.network.products)


def test_a_product_shows_its_parameters_as_json_schema(api: Api) -> None:
    product = api.get("/v1/catalog/custom-insole", "customer").json()

    length = product["parameters"]["properties"]["foot_length_mm"]
    assert length == {
        "description": "Heel to longest toe",
        "default": 265,
        "x-unit": "mm",
        "type": "number",
        "minimum": 200,
        "maximum": 320,
    }
    assert product["parameters"]["additionalProperties"] is False
    assert [m["id"] for m in product["material_options"]] == ["tpu"]
    assert [op["process"] for op in product["routing"]] == ["fdm", "assembly"]
    assert product["components"] == [
        {"sku": "insole-top-cover", "name": "Insole top cover, cut to size", "quantity": 1}
    ]


def test_an_unknown_product_is_not_found_in_the_catalog(api: Api) -> None:
    response = api.get("/v1/catalog/teapot", "customer")

    assert response.status_code == 404
    assert response.json()["detail"].startswith("unknown product 'teapot'; known: ")


def test_a_quote_offers_local_factories_beside_the_central_baseline(
    api: Api, body: dict[str, Any]
) -> None:
    response = api.post("/v1/quotes", body, "customer")

    assert response.status_code == 200
    quote = response.json()
    assert quote["best"] == quote["local"][0]
    assert quote["best"]["site_id"] == "berlin"
    assert all(option["central"] for option in quote["central"])
    assert quote["best"]["price"]["currency"] == "EUR"
    assert quote["best"]["co2e_kg"]["total"] > 0
    assert api.order_count() == 0


def test_jobs_are_listed_and_shown_with_their_tasks(api: Api, services: Services) -> None:
    order = api.place()
    api.place()
    services.controller(seed=1).step()

    listed = api.get("/v1/jobs", "operator", params={"order_id": order["id"]}).json()["items"]
    everything = api.get("/v1/jobs", params={"limit": 1}).json()["items"]
    job = api.get(f"/v1/jobs/{listed[0]['id']}", "operator").json()

    assert [j["order_id"] for j in listed] == [order["id"]]
    assert len(everything) == 1
    assert job["factory_id"] == "berlin"
    assert job["product"] == "phone-grip"
    assert [t["step"] for t in job["tasks"]] == [0, 1]


def test_the_parts_of_a_batch_run_show_their_run(api: Api, services: Services) -> None:
    munich = {"lat": 48.14, "lon": 11.58, "label": "Marienplatz 1, München"}
    mounts = [
        {"product": "bike-mount", "quantity": 1, "material": "pa12", "params": {}} for _ in range(2)
    ]
    orders = [api.place(destination=munich, lines=[line]) for line in mounts]
    services.controller(seed=1, failure_rate=0).step()

    tasks = []
    for order in orders:
        job = api.get("/v1/jobs", "admin", params={"order_id": order["id"]}).json()["items"][0]
        tasks += api.get(f"/v1/jobs/{job['id']}").json()["tasks"]
    sintered = [t for t in tasks if t["process"] == "sls"]

    assert [t["state"] for t in sintered] == ["running", "running"]
    runs = {t["run"] for t in sintered}
    assert len(runs) == 1
    assert runs <= {t["id"] for t in sintered}
    assert all(t["run"] is None for t in tasks if t["process"] != "sls")


def test_an_operator_of_another_factory_cannot_see_its_jobs(api: Api, services: Services) -> None:
    api.place()
    services.controller(seed=1).step()
    job_id = api.get("/v1/jobs").json()["items"][0]["id"]

    listed = api.get("/v1/jobs", "hamburg-operator").json()["items"]
    shown = api.get(f"/v1/jobs/{job_id}", "hamburg-operator")

    assert listed == []
    assert shown.status_code == 404
    assert shown.json()["detail"] == f"no job {job_id!r} at factory 'hamburg'"


def test_a_factory_plan_names_the_jobs_it_finishes_too_late_for_their_promise(
    api: Api, services: Services, clock: ManualClock
) -> None:
    """The JSON lists them with their orders and times; the image outlines their bars."""
    order = api.place()
    services.controller(seed=1).step()
    on_time = api.get("/v1/factories/berlin/schedule", "operator").json()
    assert on_time["late"] == []
    # a promise the plan cannot keep: delivered within the hour
    with services.uow() as uow:
        stored = uow.orders.get(order["id"])
        stored.promised_at = promised = clock.now() + timedelta(hours=1)
        uow.orders.save(stored)
        uow.commit()
    plan = api.get("/v1/factories/berlin/schedule", "operator").json()
    (late,) = plan["late"]
    assert late["order_id"] == order["id"]
    ready_by = datetime.fromisoformat(late["ready_by"])
    planned_end = datetime.fromisoformat(late["planned_end"])
    assert ready_by < promised < planned_end
    assert late["minutes_late"] == round((planned_end - ready_by) / timedelta(minutes=1))
    image = api.get("/v1/factories/berlin/schedule?format=svg", "operator").text
    assert "1 jobs late" in image
    assert 'stroke="#d00000"' in image


def test_an_unknown_job_is_not_found(api: Api) -> None:
    response = api.get("/v1/jobs/job_missing")

    assert response.status_code == 404
    assert response.json()["detail"] == "no job 'job_missing'"


def test_a_factory_serves_its_current_plan_as_gantt_rows_and_html(
    api: Api, services: Services
) -> None:
    order = api.place()
    services.controller(seed=1).step()

    plan = api.get("/v1/factories/berlin/schedule", "operator")
    assert plan.status_code == 200, plan.text
    body = plan.json()
    assert body["unit"] == "minutes"
    bars = [bar for row in body["rows"] for bar in row["bars"]]
    with services.uow() as uow:
        tasks = uow.tasks.for_order(order["id"])
    assert {bar["operation"] for bar in bars} == {t.id for t in tasks}
    assert all(bar["end"] > bar["start"] >= 0 for bar in bars)
    printing = next(bar for bar in bars if bar["operation"] == tasks[0].id)
    packing = next(bar for bar in bars if bar["operation"] == tasks[1].id)
    assert printing["end"] <= packing["start"]
    packers = {p.id for p in services.network.site("berlin").operators if "assembly" in p.skills}
    assert printing["operator"] is None, "printing needs nobody"
    assert packing["operator"] in packers, "the plan names who packs"
    shown = api.get(f"/v1/orders/{order['id']}", "operator").json()
    assert [t["operator_id"] for t in shown["tasks"]] == [None, packing["operator"]]

    page = api.get("/v1/factories/berlin/schedule?format=html", "operator")
    assert page.headers["content-type"].startswith("text/html")
    assert "<svg" in page.text
    image = api.get("/v1/factories/berlin/schedule?format=svg", "operator")
    assert image.headers["content-type"].startswith("image/svg+xml")
    svg = ElementTree.fromstring(image.text)
    tips = [t.text or "" for t in svg.iter("{http://www.w3.org/2000/svg}title")]
    assert all(any(t.id in tip for tip in tips) for t in tasks)
    assert any(f"by {packing['operator']}" in tip for tip in tips)
    bad = api.get("/v1/factories/berlin/schedule?format=png", "operator")
    assert bad.status_code == 422
    assert api.get("/v1/factories/hamburg/schedule", "operator").status_code == 403


def test_a_person_attending_a_batch_run_is_shown_at_the_task_that_leads_it(
    api: Api, services: Services, clock: ManualClock
) -> None:
    """Clara attends three resin parts cured in one run on Berlin's resin printer. The run is
    the job of its leader, the part whose id it bears (b here), which is neither the first
    nor the last of the run in the queue: the view shows her at the leader."""
    berlin = services.network.site("berlin")
    clara = next(o for o in berlin.people_on_shift(clock.now()) if o.name == "Clara")
    now = clock.now()

    def part(k: str) -> Task:
        return Task(
            f"tsk_resin_{k}", f"job_resin_{k}", f"ord_resin_{k}", "berlin", 0, "cure", "sla",
            "berlin-sla-1", "resin-tough", True, 60.0, now, now + timedelta(minutes=60),
            run="tsk_resin_b", operator_id=clara.id,
        )  # fmt: skip

    run = [part(k) for k in "abc"]
    with services.uow() as uow:
        for member in run:
            member.start(now)
            uow.tasks.add(member)
        uow.commit()

    factory = api.get("/v1/factories/berlin", "operator").json()

    assert [t["id"] for t in factory["queue"]] == ["tsk_resin_a", "tsk_resin_b", "tsk_resin_c"]
    people = {p["id"]: p for p in factory["on_shift"]}
    assert people[clara.id]["attending_task_id"] == "tsk_resin_b"
    assert [p["id"] for p in people.values() if p["attending_task_id"]] == [clara.id]
