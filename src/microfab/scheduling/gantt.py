"""A schedule as a Gantt chart: plain JSON rows, or one self-contained HTML file (inline SVG)."""

from __future__ import annotations

import hashlib
from html import escape
from typing import Any

from microfab.scheduling.model import Instance, Schedule, score

ROW, LABEL, WIDTH = 22, 90, 1100


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


def gantt_html(instance: Instance, schedule: Schedule, title: str = "") -> str:
    """A standalone HTML page: no script, no external file; hover a bar for its details."""
    scores = score(instance, schedule)
    span = max(schedule.makespan, 1)
    scale = (WIDTH - LABEL - 10) / span
    rows = gantt_rows(instance, schedule)
    height = ROW * len(rows) + 30
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}">']
    for i, row in enumerate(rows):
        parts.extend(_row(i, row, scale))
    parts.append(_axis(len(rows), span, scale))
    parts.append("</svg>")
    heading = escape(title or instance.name)
    summary = (
        f"makespan {scores.makespan} · weighted tardiness {scores.tardiness} · "
        f"changeover {scores.changeover}"
    )
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        f"<title>{heading}</title></head>"
        '<body style="font-family:sans-serif">'
        f"<h1>{heading}</h1><p>{summary}</p>{''.join(parts)}</body></html>\n"
    )


def _row(i: int, row: dict[str, Any], scale: float) -> list[str]:
    y = i * ROW + 4
    out = [f'<text x="2" y="{y + 14}" font-size="12">{escape(row["machine"])}</text>']
    for w in row["unavailable"]:
        x, width = LABEL + w["start"] * scale, (w["end"] - w["start"]) * scale
        out.append(_rect(x, y, width, "#bbbbbb", "unavailable"))
    for bar in row["bars"]:
        x, width = LABEL + bar["start"] * scale, (bar["end"] - bar["start"]) * scale
        tip = f"{bar['operation']} ({bar['job']}) {bar['start']}–{bar['end']} {bar['family']}"
        out.append(_rect(x, y, width, _colour(bar["job"]), tip))
    return out


def _rect(x: float, y: int, width: float, fill: str, tip: str) -> str:
    return (
        f'<rect x="{x:.1f}" y="{y}" width="{max(width, 0.5):.1f}" height="{ROW - 6}" '
        f'fill="{fill}" stroke="#333" stroke-width="0.3"><title>{escape(tip)}</title></rect>'
    )


def _axis(rows: int, span: int, scale: float) -> str:
    y = rows * ROW + 18
    step = max(1, span // 10)
    ticks = [
        f'<text x="{LABEL + t * scale:.1f}" y="{y}" font-size="10">{t}</text>'
        for t in range(0, span + 1, step)
    ]
    return "".join(ticks)


def _colour(key: str) -> str:
    hue = int(hashlib.sha1(key.encode()).hexdigest()[:4], 16) % 360
    return f"hsl({hue},60%,65%)"
