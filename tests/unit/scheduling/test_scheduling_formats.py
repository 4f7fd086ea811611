"""Readers of job shop and flexible job shop files; malformed files fail with the line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from microfab.errors import InvalidInput
from microfab.scheduling.formats import read_fjs, read_instance, read_jssp, solution_to_json
from microfab.scheduling.model import Assignment, Schedule, Solution


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return path


def test_reads_ft06_in_the_standard_layout(benchmarks: Path) -> None:
    instance = read_jssp(benchmarks / "jssp" / "ft06.txt")
    assert (len(instance.jobs), len(instance.machines)) == (6, 6)
    first = instance.jobs[0].operations[0]
    assert dict(first.durations) == {"m2": 1}
    assert sum(op.durations[m] for op in instance.iter_operations() for m in op.durations) == 197


def test_reads_mk01_with_alternative_machines(benchmarks: Path) -> None:
    instance = read_instance(benchmarks / "fjsp" / "mk01.fjs")
    assert (len(instance.jobs), len(instance.machines)) == (10, 6)
    first = instance.jobs[0].operations[0]
    assert dict(first.durations) == {"m1": 5, "m3": 4}
    assert len(instance.jobs[0].operations) == 6


def test_reads_taillards_layout(tmp_path: Path) -> None:
    path = write(tmp_path, "ta.txt", "# times then machines\n2 2\n3 4\n5 6\n1 2\n2 1\n")
    instance = read_jssp(path)
    assert [dict(op.durations) for op in instance.jobs[1].operations] == [{"m1": 5}, {"m0": 6}]


# The layout of Taillard's own files (one instance; his files for a size hold ten).
TAILLARD = [
    "Nb of jobs, Nb of Machines, Time seed, Machine seed, Upper bound, Lower bound",
    "           2           3   840612802   398197754          26          20",
    "Times",
    " 3 4 5",
    " 6 7 8",
    "Machines",
    " 1 2 3",
    " 3 1 2",
]


def taillard(**lines: str) -> str:
    """Taillard's file with some lines replaced (``l5="6 7"``) or cut off (``l5=""``)."""
    rows = list(TAILLARD)
    for key, text in lines.items():
        rows[int(key[1:]) - 1] = text
    return "".join(f"{row}\n" for row in rows if row)


def test_reads_taillards_distributed_layout(tmp_path: Path) -> None:
    instance = read_instance(write(tmp_path, "tai.txt", taillard()))
    assert len(instance.machines) == 3
    assert [dict(op.durations) for op in instance.jobs[1].operations] == [
        {"m2": 6},
        {"m0": 7},
        {"m1": 8},
    ]


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        (TAILLARD[0] + "\n", 1, "the file ends before the job and machine counts"),
        (taillard(l2="2 x"), 2, "expected whole numbers, found 'x'"),
        (taillard(l3=""), 3, "expected the line 'Times', found '3 4 5'"),
        (taillard(l4="3 x 5"), 4, "expected whole numbers, found 'x'"),
        (taillard(l4="3 -4 5"), 4, "processing time -4 is negative"),
        (taillard(l5="6 7"), 5, "job 2 has 2 times, expected 3 (one per machine)"),
        (taillard(l5=""), 5, "the header announces 2 jobs, found the times of 1"),
        (taillard(l6="", l7="", l8=""), 5, "the file ends before the line 'Machines'"),
        (taillard(l8="3 1 4"), 8, "machine 4 is outside 1..3"),
        (taillard(l8="3 1 2 1"), 8, "job 2 has 4 machines, expected 3 (one per machine)"),
        (taillard(l8=""), 7, "the header announces 2 jobs, found the machines of 1"),
        (taillard() + taillard(), 9, "a second instance starts here: split the file"),
        (taillard() + "7 7\n", 9, "unexpected data after the last job"),
    ],
)
def test_rejects_a_malformed_file_in_taillards_layout(
    tmp_path: Path, text: str, line: int, reason: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        read_jssp(write(tmp_path, "bad.txt", text))
    assert f"bad.txt:{line}:" in caught.value.message
    assert reason in caught.value.message


def test_taillards_flow_shop_and_open_shop_files_are_named_for_what_they_are(
    tmp_path: Path,
) -> None:
    flow = (
        "number of jobs, number of machines, initial seed, upper bound and lower bound :\n"
        "  2 2 873654221 10 9\nprocessing times :\n 5 4\n 3 6\n"
    )
    with pytest.raises(InvalidInput) as caught:
        read_instance(write(tmp_path, "ta001.txt", flow))
    assert "ta001.txt:1: this is the title of Taillard's flow-shop files" in caught.value.message
    assert "write it in the job shop layout" in caught.value.message
    assert "try that format" not in caught.value.message
    open_shop = (
        "number of jobs, number of machines, time seed, machine seed, upper bound, lower bound :\n"
        "  2 2 1166510396 164000672 10 9\nprocessing times :\n 5 4\n 3 6\n"
        "machines :\n 1 2\n 2 1\n"
    )
    with pytest.raises(InvalidInput) as caught:
        read_instance(write(tmp_path, "tai4_4_1.txt", open_shop))
    assert "tai4_4_1.txt:1: this is the title of Taillard's open-shop files" in caught.value.message


@pytest.mark.parametrize(
    ("name", "text", "first"),
    [("bom.txt", "1 2\n0 3 1 4\n", {"m0": 3}), ("bom.fjs", "1 2 1\n2 1 1 3 1 2 4\n", {"m1": 3})],
)
def test_reads_a_file_that_starts_with_a_byte_order_mark(
    tmp_path: Path, name: str, text: str, first: dict[str, int]
) -> None:
    path = tmp_path / name
    path.write_text("\ufeff" + text, encoding="utf-8")
    assert dict(read_instance(path).jobs[0].operations[0].durations) == first


def test_skips_comments_and_blank_lines(tmp_path: Path) -> None:
    path = write(tmp_path, "x.txt", "# a comment\n\n1 2\n# between\n0 3 1 4\n")
    assert [dict(op.durations) for op in read_jssp(path).jobs[0].operations] == [
        {"m0": 3},
        {"m1": 4},
    ]


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("2 2\n0 1 1 x\n1 1 0 1\n", 2, "expected whole numbers, found 'x'"),
        ("2 2\n0 1 1 2\n1 1 0\n", 3, "job 2 has 3 numbers"),
        ("2 2\n0 1 5 2\n1 1 0 1\n", 2, "machine 5 is outside 0..1"),
        ("2 2\n0 1 1 -2\n1 1 0 1\n", 2, "processing time -2 is negative"),
        ("3 2\n0 1 1 2\n1 1 0 1\n", 3, "announces 3 jobs, found 2"),
        ("1 2\n0 1 1 2\n7 7\n", 3, "unexpected data after the last job"),
        ("two 2\n", 1, "expected whole numbers"),
        ("0 2\n", 1, "job and machine counts"),
        ("2 2 junk\n0 1 1 2\n1 1 0 1\n", 1, "unexpected 'junk' in the header"),
        ("2 2\n0 1 1 --4\n1 1 0 1\n", 2, "expected whole numbers, found '--4'"),
        ("2 2\n0 1 1 \u00b3\n1 1 0 1\n", 2, "expected whole numbers, found '\u00b3'"),
        ("2 2\n0 1 1 1_0\n1 1 0 1\n", 2, "expected whole numbers, found '1_0'"),
        ("2 2\n0 1 1 +3\n1 1 0 1\n", 2, "expected whole numbers, found '+3'"),
        ("2 2\n0 99999999999999999999 1 2\n1 1 0 1\n", 2, "is too large"),
    ],
)
def test_rejects_a_malformed_job_shop_file(
    tmp_path: Path, text: str, line: int, reason: str
) -> None:
    path = write(tmp_path, "bad.txt", text)
    with pytest.raises(InvalidInput) as caught:
        read_jssp(path)
    assert f"bad.txt:{line}:" in caught.value.message
    assert reason in caught.value.message


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("1 2 1\n2 1 1 3\n", 2, "job 1 ends early: missing the number of machines"),
        ("1 2 1\n1 1 3 4\n", 2, "machine 3 is outside 1..2"),
        ("1 2 1\n1 0\n", 2, "operation 1 of job 1 has no machine"),
        ("1 2 1\n1 1 1 4 9\n", 2, "numbers after its last operation"),
        ("1 2 1\n1 1 1 4.5\n", 2, "expected whole numbers, found '4.5'"),
        ("1 2 1\n-1\n", 2, "job 1 has -1 operations: it needs one at least"),
        ("1 2 1\n0\n", 2, "job 1 has 0 operations"),
        ("1 2 1\n1 2 1 3 1 5\n", 2, "machine 1 is listed twice for operation 1 of job 1"),
        ("2 2 1\n1 1 1 5\n1 2 1 4\n", 3, "job 2 ends early: missing a machine of operation 1"),
        ("1 2 1\n1 1 1 4\n", 1, "announces 2 machines but the jobs list 1 machine choice"),
        ("1 3 x\n1 1 1 4\n", 1, "unexpected 'x' in the header"),
    ],
)
def test_rejects_a_malformed_fjs_file(tmp_path: Path, text: str, line: int, reason: str) -> None:
    path = write(tmp_path, "bad.fjs", text)
    with pytest.raises(InvalidInput) as caught:
        read_fjs(path)
    assert f"bad.fjs:{line}:" in caught.value.message
    assert reason in caught.value.message


def test_reads_taillard_and_brandimarte_headers_that_go_on_after_the_counts(
    tmp_path: Path,
) -> None:
    assert len(read_jssp(write(tmp_path, "a.txt", "1 1 840612802 398197754\n0 3\n")).jobs) == 1
    assert len(read_fjs(write(tmp_path, "b.fjs", "1 2 1.5\n1 2 1 4 2 3\n")).jobs) == 1


def test_operations_of_no_time_are_read_and_scheduled(tmp_path: Path) -> None:
    """Before, the dispatch rule found no operation to start and the solve crashed."""
    from microfab.scheduling.checker import check
    from microfab.scheduling.cpsat import Settings, solve

    instance = read_jssp(write(tmp_path, "zero.txt", "2 2\n0 0 1 0\n1 2 0 4\n"))
    solution = solve(instance, Settings(time_limit=2.0, workers=1))
    assert (solution.objective, solution.status) == (6, "optimal")
    assert check(instance, solution.schedule) == []


def test_a_file_read_in_the_wrong_format_says_which_format_it_reads_in(
    benchmarks: Path,
) -> None:
    with pytest.raises(InvalidInput, match=r"the file reads as jssp: try that format"):
        read_instance(benchmarks / "jssp" / "ft06.txt", "fjsp")
    with pytest.raises(InvalidInput, match=r"the file reads as fjsp: try that format"):
        read_instance(benchmarks / "fjsp" / "mk01.fjs", "jssp")


def test_a_machine_count_no_job_could_use_fails_fast_at_the_header(tmp_path: Path) -> None:
    """Before, the reader built every machine announced (three million: 10 s, 670 MB)."""
    with pytest.raises(InvalidInput) as caught:
        read_fjs(write(tmp_path, "huge.fjs", "1 1000000\n1 1 1 5\n"))
    assert caught.value.message == (
        f"{tmp_path / 'huge.fjs'}:1: the header announces 1,000,000 machines but the jobs list "
        "1 machine choice in all: set the count to the machines the shop has (the jobs use "
        "machines up to 1)"
    )


def test_machines_no_job_uses_are_kept_as_brandimarte_declared_them(benchmarks: Path) -> None:
    for name in ("mk06", "mk10"):  # they declare 15 machines but use fewer, as published
        assert len(read_fjs(benchmarks / "fjsp" / f"{name}.fjs").machines) == 15


def test_a_flexible_job_shop_file_with_a_typo_is_not_sent_to_the_job_shop_reader(
    tmp_path: Path,
) -> None:
    """The typo lets it read as a job shop; the suffix says it is not one."""
    with pytest.raises(InvalidInput) as caught:
        read_instance(write(tmp_path, "typo.fjs", "2 2\n1 1 1 5\n1 2 1 4\n"))
    assert "job 2 ends early" in caught.value.message
    assert "try that format" not in caught.value.message
    with pytest.raises(InvalidInput) as caught:  # as a job shop, job 1 uses m1 twice
        read_instance(write(tmp_path, "typo.txt", "2 2\n1 1 1 5\n1 2 1 4\n"), "fjsp")
    assert "try that format" not in caught.value.message


def test_taillards_file_read_as_a_flexible_job_shop_says_it_reads_as_jssp(
    tmp_path: Path,
) -> None:
    with pytest.raises(InvalidInput, match=r"the file reads as jssp: try that format"):
        read_instance(write(tmp_path, "tai.txt", taillard()), "fjsp")


def test_rejects_missing_and_empty_files(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="cannot read"):
        read_instance(tmp_path / "absent.txt")
    with pytest.raises(InvalidInput, match="no data"):
        read_instance(write(tmp_path, "empty.fjs", "# nothing\n"))
    with pytest.raises(InvalidInput, match="unknown format"):
        read_instance(tmp_path / "x.txt", "csv")


def test_writes_a_schedule_as_json(tmp_path: Path) -> None:
    instance = read_jssp(write(tmp_path, "one.txt", "1 1\n0 7\n"))
    schedule = Schedule((Assignment("j0.0", "m0", 0, 7),))
    data = solution_to_json(instance, Solution(schedule, 7, 7, "optimal", 0.1, "test"))
    assert json.loads(json.dumps(data))["assignments"][0]["end"] == 7
    assert (data["makespan"], data["lower_bound"], data["status"]) == (7, 7, "optimal")
