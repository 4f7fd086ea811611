"""Maintenance windows: booked on a machine, kept free of work by quotes, the plan, knock-on
delays and the floor."""

from __future__ import annotations

import copy
import random
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.etree import ElementTree

import pytest

from microfab.bootstrap import Services, build_services
from microfab.clock import ManualClock
from microfab.errors import Conflict, IllegalTransition, InvalidInput, InvalidNetwork, NotFound
from microfab.execution.maintenance import BookMaintenance, minutes_before
from microfab.execution.model import Task, TaskState
from microfab.execution.replan import _maintenance
from microfab.execution.slips import slipped
from microfab.ids import random_ids
from microfab.network.loader import build_network
from microfab.network.model import Network, Process
from microfab.orders.model import OrderLine
from microfab.scheduling.dispatch import Booking, PlannedRun, plan_order, site_load
from microfab.scheduling.gantt import gantt_svg
from microfab.scheduling.model import Instance, Machine, Schedule, Window
from microfab.settings import Settings
from tests.unit.conftest import MONDAY_9, MemoryStore, services_on
from tests.unit.test_order_journey import BERLIN, MUNICH, drive, grip, place

PRINTERS = [f"berlin-fdm-{n}" for n in range(1, 7)] + ["berlin-fdm-xl"]


def book(services: Services, machine: str, start: datetime, hours: float, reason: str = ""):  # type: ignore[no-untyped-def]
    end = start + timedelta(hours=hours)
    return services.maintenance.book(BookMaintenance("berlin", machine, start, end, reason))


def close_all_printers(services: Services, start: datetime, hours: float) -> datetime:
    for printer in PRINTERS:
        book(services, printer, start, hours, "nozzle change")
    return start + timedelta(hours=hours)


# -- booking -------------------------------------------------------------------------------------


def test_a_booked_window_is_listed_until_it_is_over(services: Services, clock: ManualClock) -> None:
    now = clock.now()
    window = book(services, "berlin-fdm-1", now + timedelta(hours=1), 2, " nozzle change ")
    assert window.id.startswith("mnt_")
    assert window.reason == "nozzle change"
    assert [w.id for w in services.maintenance.ahead("berlin")] == [window.id]
    assert services.maintenance.ahead("munich") == []
    clock.set(now + timedelta(hours=3))
    assert services.maintenance.ahead("berlin") == []


@pytest.mark.parametrize(
    ("machine", "start_in", "hours", "wrong"),
    [
        ("munich-fdm-1", 1, 1, "berlin has no machine 'munich-fdm-1'"),
        ("berlin-fdm-1", 1, 0, "end: must be after start"),
        ("berlin-fdm-1", -3, 1, "end: the window is over already"),
        ("berlin-fdm-1", 1, 24 * 15, "a window lasts at most 14 days"),
    ],
)
def test_a_bad_window_is_refused_and_nothing_is_booked(
    services: Services, clock: ManualClock, machine: str, start_in: float, hours: float, wrong: str
) -> None:
    with pytest.raises(InvalidInput, match=wrong):
        book(services, machine, clock.now() + timedelta(hours=start_in), hours)
    assert services.maintenance.ahead("berlin") == []


def test_a_time_without_a_zone_is_refused(services: Services, clock: ManualClock) -> None:
    naive = clock.now().replace(tzinfo=None) + timedelta(hours=1)
    command = BookMaintenance("berlin", "berlin-fdm-1", naive, naive + timedelta(hours=1))
    with pytest.raises(InvalidInput, match="start: give a time zone"):
        services.maintenance.book(command)


def test_a_central_plant_or_unknown_factory_has_no_maintenance(services: Services) -> None:
    with pytest.raises(NotFound, match="no factory 'nowhere'"):
        services.maintenance.ahead("nowhere")


def test_overlapping_windows_on_one_machine_are_refused(
    services: Services, clock: ManualClock
) -> None:
    first = book(services, "berlin-fdm-1", clock.now() + timedelta(hours=1), 2)
    with pytest.raises(Conflict, match=first.id):
        book(services, "berlin-fdm-1", clock.now() + timedelta(hours=2), 2)
    book(services, "berlin-fdm-1", clock.now() + timedelta(hours=3), 1)  # meets it: fine
    book(services, "berlin-fdm-2", clock.now() + timedelta(hours=2), 2)  # another machine
    assert len(services.maintenance.ahead("berlin")) == 3


def test_a_cancelled_window_frees_the_machine_and_cannot_be_cancelled_again(
    services: Services, clock: ManualClock
) -> None:
    window = book(services, "berlin-fdm-1", clock.now() + timedelta(hours=1), 2)
    with pytest.raises(NotFound):
        services.maintenance.cancel("munich", window.id)
    cancelled = services.maintenance.cancel("berlin", window.id)
    assert cancelled.cancelled_at == clock.now()
    assert services.maintenance.ahead("berlin") == []
    with pytest.raises(IllegalTransition, match="cancelled already"):
        services.maintenance.cancel("berlin", window.id)
    book(services, "berlin-fdm-1", clock.now() + timedelta(hours=1), 2)  # its time is free again


# -- the machine's time --------------------------------------------------------------------------


def test_a_machine_may_start_only_what_ends_before_its_next_window() -> None:
    now = datetime(2026, 3, 2, 9, tzinfo=UTC)
    window = (now + timedelta(minutes=90), now + timedelta(minutes=150))
    assert minutes_before([window], now) == 90
    assert minutes_before([window], now + timedelta(minutes=100)) == 0
    assert minutes_before([window], now + timedelta(minutes=150)) == float("inf")
    assert minutes_before([], now) == float("inf")


def test_quoted_work_waits_for_the_end_of_a_window_it_would_run_into(network: Network) -> None:
    site = network.factory("berlin")
    printer = site.machines[0]
    now = datetime(2026, 3, 2, 9, tzinfo=UTC)
    window = (now + timedelta(minutes=60), now + timedelta(minutes=180))
    load = site_load(site, (), now, closed={printer.id: [window]})
    assert load.free_from(printer, now, 45) == (now, 0.0)  # fits before it
    start, _ = load.free_from(printer, now, 75)
    assert start == window[1]
    start, _ = load.free_from(printer, now + timedelta(minutes=90), 10)  # ready during it
    assert start == window[1]
    assert site_load(site, (), now).free_from(printer, now, 75) == (now, 0.0)


def _planned(name: str, machine: str, start: datetime, minutes: float) -> Task:
    return Task(
        f"tsk_{name}", f"job_{name}", f"ord_{name}", "berlin", 0, "print", "fdm", machine,
        "pla-red", False, minutes, start, start + timedelta(minutes=minutes),
    )  # fmt: skip


def test_a_slipping_run_is_pushed_past_a_window_not_into_it(network: Network) -> None:
    site = network.factory("berlin")
    now = datetime(2026, 3, 2, 9, tzinfo=UTC)
    running = _planned("a", "berlin-fdm-1", now - timedelta(minutes=30), 30)
    running.start(now - timedelta(minutes=30))
    running.planned_end = now + timedelta(minutes=20)  # it runs 20 minutes over
    after = _planned("b", "berlin-fdm-1", now, 60)
    window = (now + timedelta(minutes=70), now + timedelta(minutes=130))
    moved = slipped(site, [running, after], now, {"berlin-fdm-1": [window]})
    assert moved == [after]
    assert after.planned_start == window[1]  # 20 + 60 minutes would run into it
    assert after.planned_end == window[1] + timedelta(minutes=60)


# -- the whole factory ---------------------------------------------------------------------------


def _printing(services: Services) -> list[Task]:
    with services.uow() as uow:
        tasks = uow.tasks.in_states("berlin", list(TaskState))
    return [t for t in tasks if t.process == Process.FDM.value]


def test_the_plan_and_the_floor_keep_every_printer_free_during_its_window(
    services: Services, clock: ManualClock
) -> None:
    controller = services.controller(seed=1, failure_rate=0)
    now = clock.now()
    back = close_all_printers(services, now + timedelta(minutes=30), 3)
    orders = [place(services, grip(f"Ada {n}"), to=BERLIN) for n in range(4)]
    drive(controller, clock, now + timedelta(days=2))
    printed = _printing(services)
    assert {t.order_id for t in printed} == {o.id for o in orders}
    for task in printed:
        assert task.state is TaskState.FINISHED
        assert task.started_at is not None
        assert task.ended_at is not None
        # each print either ended before the window began or started after it ended
        assert task.ended_at <= back - timedelta(hours=3) or task.started_at >= back, task


def test_a_quote_made_during_a_window_promises_the_work_after_it(
    services: Services, clock: ManualClock
) -> None:
    before = services.orders.quote([grip()], BERLIN)
    berlin = next(o for o in before.local if o.site_id == "berlin")
    back = close_all_printers(services, clock.now(), 6)
    after = services.orders.quote([grip()], BERLIN)
    closed = next(o for o in after.local if o.site_id == "berlin")
    assert closed.ready_at >= back > berlin.ready_at


def test_booking_a_window_re_plans_its_factory_at_once(
    services: Services, clock: ManualClock
) -> None:
    controller = services.controller(seed=1, failure_rate=0)
    now = clock.now()
    place(services, *(grip(f"Ada {n}") for n in range(12)), to=BERLIN)
    controller.step()  # routed and planned; some prints start at once
    clock.set(now + timedelta(minutes=1))
    back = close_all_printers(services, now + timedelta(minutes=1), 8)
    report = controller.step()
    assert report.replanned >= 1
    waiting = [t for t in _printing(services) if t.state is TaskState.SCHEDULED]
    assert waiting
    assert all(t.planned_start >= back for t in waiting)


def test_a_running_print_finishes_before_the_window_holds_its_machine() -> None:
    """The plan keeps the window from the end of the work running on the machine."""
    now = datetime(2026, 3, 2, 9, tzinfo=UTC)
    window = (now + timedelta(minutes=10), now + timedelta(minutes=60))
    assert _maintenance([window], now, running_until=25) == [Window(25, 60)]
    assert _maintenance([window], now, running_until=0) == [Window(10, 60)]
    assert _maintenance([window], now, running_until=70) == []
    assert _maintenance([window], now, 25, changeover=12) == [Window(25, 72)], "room to change"


# -- weekly closed hours from the network file ---------------------------------------------------


def printers_closed(demo_doc: dict[str, Any], hours: list[dict[str, str]]) -> Services:
    """The demo network with Berlin's FDM printers closed at ``hours`` (network file form)."""
    doc = copy.deepcopy(demo_doc)
    berlin = next(f for f in doc["factories"] if f["id"] == "berlin")
    for machine in berlin["machines"]:
        if machine["process"] == "fdm":
            machine["closed"] = hours
    return services_on(doc, ManualClock(MONDAY_9))


def test_closed_hours_are_read_from_the_network_file_overnight_too(
    demo_doc: dict[str, Any],
) -> None:
    services = printers_closed(demo_doc, [{"days": "mon-fri", "start": "22:00", "end": "06:00"}])
    berlin = services.network.factory("berlin")
    printer = berlin.machines[0]
    assert printer.closed_hours[0].weekdays == frozenset(range(5))
    windows = berlin.closed_calendar(MONDAY_9.date(), 2)[printer.id]
    assert list(windows[:2]) == [
        (datetime(2026, 3, 2, 21, tzinfo=UTC), datetime(2026, 3, 3, 5, tzinfo=UTC)),
        (datetime(2026, 3, 3, 21, tzinfo=UTC), datetime(2026, 3, 4, 5, tzinfo=UTC)),
    ]
    assert berlin.machines_for(Process.SLA)[0].id not in berlin.closed_calendar(MONDAY_9.date(), 2)


def test_bad_closed_hours_in_a_network_file_are_refused(demo_doc: dict[str, Any]) -> None:
    with pytest.raises(InvalidNetwork, match="closed"):
        printers_closed(demo_doc, [{"days": "someday", "start": "22:00", "end": "06:00"}])


def test_printers_closed_at_midday_print_nothing_then_and_quotes_know_it(
    demo_doc: dict[str, Any],
) -> None:
    midday = [{"days": "mon-sun", "start": "09:30", "end": "13:00"}]  # 08:30-12:00 UTC
    services = printers_closed(demo_doc, midday)
    clock = services.clock
    assert isinstance(clock, ManualClock)
    opens = MONDAY_9 + timedelta(hours=4)
    quote = services.orders.quote([grip()], BERLIN)
    berlin = next(o for o in quote.local if o.site_id == "berlin")
    assert berlin.ready_at > opens, "a 34-minute print does not fit before 09:30"
    controller = services.controller(seed=1, failure_rate=0)
    orders = [place(services, grip(f"Ada {n}"), to=BERLIN) for n in range(4)]
    drive(controller, clock, MONDAY_9 + timedelta(days=1))
    printed = _printing(services)
    assert {t.order_id for t in printed} == {o.id for o in orders}
    for task in printed:
        assert task.started_at is not None
        assert task.started_at >= opens, task


def book_weeks(services: Services, machine: str, start: datetime, fortnights: int) -> None:
    for _ in range(fortnights):
        start = book(services, machine, start, 14 * 24).end


def test_work_whose_machine_is_booked_out_for_weeks_goes_to_its_twin(
    services: Services, clock: ManualClock
) -> None:
    """Three fortnights back to back keep packing machine 1 out past every shift laid out:
    the rule passes it over for machine 2 (before, the re-plan failed for the whole step)."""
    controller = services.controller(seed=1, failure_rate=0)
    place(services, grip(), to=BERLIN)
    controller.step()
    book_weeks(services, "berlin-assembly-1", clock.now() + timedelta(minutes=1), 3)
    clock.set(clock.now() + timedelta(minutes=2))
    assert controller.step().replanned == 1
    packing = [t for t in _all(services) if t.process == Process.ASSEMBLY.value]
    assert [t.machine_id for t in packing] == ["berlin-assembly-2"]


def test_a_factory_that_cannot_be_re_planned_keeps_its_plan_and_the_network_runs_on(
    services: Services, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    """Both packing machines are booked out for six weeks: no plan fits the shifts laid out.
    The factory keeps its plan's order and machines, slipped out of the windows, and the
    step goes on (before, it failed for the whole network)."""
    controller = services.controller(seed=1, failure_rate=0)
    place(services, grip(), to=BERLIN)
    controller.step()
    before = {t.id: t.machine_id for t in _all(services)}
    out = clock.now() + timedelta(minutes=1)
    for machine in ("berlin-assembly-1", "berlin-assembly-2"):
        book_weeks(services, machine, out, 3)
    munich = place(services, grip(), to=MUNICH)
    clock.set(clock.now() + timedelta(minutes=2))
    controller.step()
    assert "factory berlin keeps its plan" in caplog.text
    assert {t.id: t.machine_id for t in _all(services)} == before
    [packing] = [t for t in _all(services) if t.process == Process.ASSEMBLY.value]
    assert packing.planned_start >= out + timedelta(weeks=6)
    assert services.orders.get(munich.id).factory_id == "munich", "routed and planned"


def _all(services: Services) -> list[Task]:
    with services.uow() as uow:
        return uow.tasks.in_states("berlin", list(TaskState))


def test_a_quote_joins_a_planned_batch_run_only_if_the_run_still_ends_before_a_window(
    network: Network,
) -> None:
    """A resin run is planned from 09:10 to 09:40 with a window from 09:40; a 47-minute part
    joining it would stretch the run into the window, so it is quoted after the window."""
    site = network.factory("berlin")
    now = datetime(2026, 3, 2, 9, tzinfo=UTC)
    at = lambda minutes: now + timedelta(minutes=minutes)  # noqa: E731
    closed = {"berlin-sla-1": [(at(40), at(300))], "berlin-sla-2": [(at(0), at(600))]}
    booked = [Booking("berlin-sla-1", at(40), "sla", None, at(10), "resin-standard")]
    load = site_load(site, booked, now, {}, closed)
    load.runs["berlin-sla-1"] = [PlannedRun("resin-standard", False, at(10), at(40), 1, 30)]
    tips = OrderLine("earbud-tips", 1, "resin-standard", {"pairs": 1})
    curing = plan_order(network, site, [tips], now, load).steps[0]
    assert curing.machine.id == "berlin-sla-1"
    assert curing.minutes > 30
    assert not curing.joined
    assert curing.start == at(300)


def test_a_greedy_factory_slips_its_plan_out_of_a_window_booked_over_it(
    store: MemoryStore, clock: ManualClock
) -> None:
    services = build_services(
        Settings(planner="greedy"), clock=clock, ids=random_ids(random.Random(7)), store=store
    )
    controller = services.controller(seed=1, failure_rate=0)
    place(services, *(grip(f"Ada {n}") for n in range(12)), to=BERLIN)
    controller.step()
    start = clock.now() + timedelta(minutes=1)
    back = close_all_printers(services, start, 8)
    clock.set(start)
    controller.step()
    waiting = [t for t in _printing(services) if t.state is TaskState.SCHEDULED]
    assert waiting
    assert all(t.planned_start >= back for t in waiting)


def test_the_chart_of_an_idle_factory_shows_its_window_whole_and_no_later_ones() -> None:
    """An empty plan spans the windows that begin within a day (before, the chart spanned one
    minute and drew every window off the picture)."""
    windows = (Window(30, 150), Window(3000, 3100))
    instance = Instance("idle", (), (Machine("fdm-1", "fdm", unavailable=windows),))
    svg = gantt_svg(instance, Schedule(()))
    ElementTree.fromstring(svg)  # well-formed
    [window] = re.findall(r'<rect x="([\d.]+)" y="4" width="([\d.]+)"', svg)
    left, width = float(window[0]), float(window[1])
    assert left + width == pytest.approx(1100 - 10, abs=0.2), "to the chart's right edge"
    assert svg.count("<title>unavailable</title>") == 1
    fortnight = (Window(30, 30 + 14 * 24 * 60),)
    idle = Instance("idle", (), (Machine("fdm-1", "fdm", unavailable=fortnight),))
    svg = gantt_svg(idle, Schedule(()))
    [window] = re.findall(r'<rect x="([\d.]+)" y="4" width="([\d.]+)"', svg)
    assert float(window[0]) == pytest.approx(90 + 30 * 1000 / (24 * 60), abs=0.1), "a day shown"


def test_work_longer_than_a_machine_is_ever_open_goes_to_a_machine_that_can_do_it(
    demo_doc: dict[str, Any],
) -> None:
    """Berlin's printers are closed every night from 22:00 to 06:00: open 16 hours at a
    stretch. Forty grips print for about 18 hours, so Berlin cannot make them; before, it
    was offered, promised four weeks out and never made."""
    services = printers_closed(demo_doc, [{"days": "mon-sun", "start": "22:00", "end": "06:00"}])
    berlin = services.network.factory("berlin")
    assert berlin.longest_open(berlin.machines[0]) == 16 * 60
    assert berlin.longest_open(berlin.machines_for(Process.SLA)[0]) == float("inf")
    few = services.orders.quote([grip()], BERLIN)
    many = services.orders.quote([grip(quantity=40)], BERLIN)
    assert "berlin" in {o.site_id for o in few.local}
    assert "berlin" not in {o.site_id for o in many.local}
    assert many.local, "another factory makes them"


def test_a_run_slipped_past_a_window_changes_over_after_it(network: Network) -> None:
    site = network.factory("berlin")
    now = datetime(2026, 3, 2, 9, tzinfo=UTC)
    running = _planned("a", "berlin-fdm-1", now - timedelta(minutes=30), 30)
    running.start(now - timedelta(minutes=30))
    running.planned_end = now + timedelta(minutes=20)
    after = _planned("b", "berlin-fdm-1", now, 60)
    after.setup_family = "pla-blue"  # the printer holds red: 12 minutes to change
    window = (now + timedelta(minutes=70), now + timedelta(minutes=130))
    slipped(site, [running, after], now, {"berlin-fdm-1": [window]})
    assert after.planned_start == window[1] + timedelta(minutes=12)


def test_a_machine_closed_whenever_its_people_work_is_refused_with_the_reason(
    demo_doc: dict[str, Any],
) -> None:
    """Berlin's laser cutters work 06:00-22:00 at most; a laser closed exactly then could
    never have its attended cuts made (before, the network loaded and the cuts waited
    forever, each re-plan of the factory failing)."""
    doc = copy.deepcopy(demo_doc)
    berlin = next(f for f in doc["factories"] if f["id"] == "berlin")
    laser = next(m for m in berlin["machines"] if m["process"] == "laser_cut")
    laser["closed"] = [{"days": "mon-sun", "start": "05:00", "end": "23:00"}]
    with pytest.raises(InvalidNetwork, match="machine berlin-lasercut is closed whenever"):
        build_network(doc)
    laser["closed"] = [{"days": "mon-sun", "start": "12:00", "end": "23:00"}]
    assert build_network(doc).factory("berlin").machines_for(Process.LASER_CUT)
