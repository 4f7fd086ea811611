"""A schedule as a Gantt chart: plain JSON rows, a standalone SVG image, or an HTML page."""

from __future__ import annotations

import colorsys
import hashlib
from html import escape
from typing import Any

from microfab.scheduling.model import Instance, Schedule, score

ROW, LABEL, WIDTH, TOP = 22, 90, 1100, 46
DAY = 24 * 60


def gantt_rows(instance: Instance, schedule: Schedule) -> list[dict[str, Any]]:
    """One row per machine with its bars and unavailable windows, in time order."""
    rows = []
    for machine in instance.machines:
        bars = [
            {
                "operation": a.operation,
                "job": instance.operations[a.operation].job,
                "start": a.start,
                "end": a.end,
                "family": instance.operations[a.operation].family,
                "batch": a.batch,
                "operator": a.operator,
            }
            for a in schedule.on_machine(machine.id)
        ]
        closed = [{"start": w.start, "end": w.end} for w in machine.unavailable]
        rows.append({"machine": machine.id, "bars": bars, "unavailable": closed})
    return rows


def late_jobs(instance: Instance, schedule: Schedule) -> list[dict[str, Any]]:
    """The jobs the schedule finishes after their due date: job, due, end and minutes late."""
    late = []
    for job in instance.jobs:
        if job.due is None or not job.operations:
            continue
        end = schedule.of[job.operations[-1].id].end
        if end > job.due:
            late.append({"job": job.id, "due": job.due, "end": end, "late": end - job.due})
    return late


def gantt_svg(instance: Instance, schedule: Schedule, title: str = "") -> str:
    """A standalone SVG image: the title and scores on top, one row per machine below.

    Viewers that show SVG (browsers, document and slide tools) show it as a picture; hover
    a bar for its operation, job, times and family. The bars of jobs that end after their due
    date are outlined in red.
    """
    rows = gantt_rows(instance, schedule)
    span = _span(schedule.makespan, rows)
    late = {j["job"] for j in late_jobs(instance, schedule)}
    summary = escape(_summary(instance, schedule, len(late)))
    label = _label_width(rows)
    scale = (WIDTH - label - 10) / span
    height = TOP + ROW * len(rows) + 30
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-family="sans-serif">',
        f'<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>',
        f'<text x="2" y="18" font-size="15" font-weight="bold">'
        f"{escape(title or instance.name)}</text>",
        f'<text x="2" y="36" font-size="12">{summary}</text>',
        f'<g transform="translate(0,{TOP})">',
    ]
    for i, row in enumerate(rows):
        parts.extend(_row(i, row, scale, label, late))
    parts.append(_axis(len(rows), span, scale, label))
    parts.append("</g></svg>")
    return "".join(parts) + "\n"


def gantt_html(instance: Instance, schedule: Schedule, title: str = "") -> str:
    """A standalone HTML page around the SVG chart: no script, no external file."""
    heading = escape(title or instance.name)
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        f"<title>{heading}</title></head>"
        '<body style="font-family:sans-serif;margin:8px">'
        f"{gantt_svg(instance, schedule, title)}</body></html>\n"
    )


def _summary(instance: Instance, schedule: Schedule, late: int) -> str:
    """The schedule's scores; tardiness only where jobs have due dates to be late for."""
    scores = score(instance, schedule)
    parts = [f"makespan {scores.makespan}"]
    if any(job.due is not None for job in instance.jobs):
        parts.append(f"weighted tardiness {scores.tardiness}")
        parts.append(f"{late} jobs late")
    parts.append(f"changeover {scores.changeover}")
    return " · ".join(parts)


def _span(makespan: int, rows: list[dict[str, Any]]) -> int:
    """The minutes the chart spans: to the plan's end, or to the end of an unavailable window
    that begins before it (or within a day, for an empty plan), so that one shows whole, but
    at most a day past the plan's end (a fortnight's window would squash the plan)."""
    within = makespan or DAY
    ends = [int(w["end"]) for row in rows for w in row["unavailable"] if w["start"] < within]
    reach = max(ends, default=0)
    return max(makespan, min(reach, makespan + DAY), 1)


def _label_width(rows: list[dict[str, Any]]) -> int:
    """Room for the longest machine name at 12 px (about 7 px a character), 90 px at least."""
    longest = max((len(row["machine"]) for row in rows), default=0)
    return max(LABEL, 7 * longest + 10)


def _row(i: int, row: dict[str, Any], scale: float, label: int, late: set[str]) -> list[str]:
    y = i * ROW + 4
    out = [f'<text x="2" y="{y + 14}" font-size="12">{escape(row["machine"])}</text>']
    span = (WIDTH - label - 10) / scale
    for w in row["unavailable"]:
        if w["start"] >= span:
            continue  # beyond the chart
        x, width = label + w["start"] * scale, (min(w["end"], span) - w["start"]) * scale
        out.append(_rect(x, y, width, "#bbbbbb", "unavailable"))
    for run in _runs(row["bars"]):
        # the parts of a batch run share its time: each gets a stripe of the bar, one above
        # another, so that every part shows its job's colour and its own tip
        height = (ROW - 6) / len(run)
        for k, bar in enumerate(run):
            x, width = label + bar["start"] * scale, (bar["end"] - bar["start"]) * scale
            tip = f"{bar['operation']} ({bar['job']}) {bar['start']}–{bar['end']} {bar['family']}"
            if len(run) > 1:
                tip += f", one of {len(run)} parts in a run"
            if bar["operator"]:
                tip += f", by {bar['operator']}"
            if bar["job"] in late:
                tip += " — late"
            top = y + k * height
            out.append(_rect(x, top, width, _colour(bar["job"]), tip, bar["job"] in late, height))
    return out


def _runs(bars: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The bars grouped by the run they share (their batch, start and end); a bar alone else."""
    runs: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for bar in bars:
        shared = bar["batch"] is not None
        key = ("run", bar["batch"], bar["start"], bar["end"]) if shared else (bar["operation"],)
        runs.setdefault(key, []).append(bar)
    return list(runs.values())


def _rect(
    x: float,
    y: float,
    width: float,
    fill: str,
    tip: str,
    late: bool = False,
    height: float = ROW - 6,
) -> str:
    stroke = 'stroke="#d00000" stroke-width="2"' if late else 'stroke="#333" stroke-width="0.3"'
    return (
        f'<rect x="{x:.1f}" y="{_short(y)}" width="{max(width, 0.5):.1f}" '
        f'height="{_short(height)}" '
        f'fill="{fill}" {stroke}><title>{escape(tip)}</title></rect>'
    )


def _short(value: float) -> str:
    """A coordinate with one decimal, none when whole (as the rows' own are)."""
    return f"{value:.1f}".removesuffix(".0")


def _axis(rows: int, span: int, scale: float, label: int) -> str:
    y = rows * ROW + 18
    step = max(1, span // 10)
    ticks = [
        f'<text x="{label + t * scale:.1f}" y="{y}" font-size="10">{t}</text>'
        for t in range(0, span + 1, step)
    ]
    return "".join(ticks)


def _colour(key: str) -> str:
    """A light colour per job, as hex: SVG 1.1 viewers (librsvg, older editors) know no hsl()."""
    hue = int(hashlib.sha1(key.encode()).hexdigest()[:4], 16) % 360
    red, green, blue = colorsys.hls_to_rgb(hue / 360, 0.65, 0.6)
    return f"#{round(red * 255):02x}{round(green * 255):02x}{round(blue * 255):02x}"
