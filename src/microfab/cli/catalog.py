"""``microfab catalog``: list templates, render one to a file, estimate it on a machine."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from microfab.catalog.dfm import check
from microfab.catalog.estimate import estimate as estimate_on
from microfab.catalog.exports import Labels, export
from microfab.catalog.model import ParamValue
from microfab.catalog.profiles import PrinterProfile, Profile, profile_for
from microfab.catalog.registry import Registry
from microfab.catalog.template import Template
from microfab.cli.common import console, parse_params, user_errors

catalog_app = typer.Typer(
    help="Product templates: list, render and estimate.", no_args_is_help=True
)

ParamOption = Annotated[
    list[str] | None,
    typer.Option("--param", "-p", help="A parameter as name=value; repeat for more"),
]


@catalog_app.command("list")
@user_errors
def list_templates() -> None:
    """Every template: built in, installed (entry points) and in MICROFAB_TEMPLATE_PATH."""
    table = Table("template", "version", "kind", "processes", "parameters")
    for template in Registry.from_environment().all():
        names = ", ".join(p.name for p in template.parameters)
        table.add_row(
            template.id,
            str(template.version),
            template.kind.value,
            ", ".join(template.processes),
            names,
        )
    console.print(table)


@catalog_app.command()
@user_errors
def render(
    template_id: Annotated[str, typer.Argument(metavar="TEMPLATE")],
    output: Annotated[Path, typer.Option("--output", "-o", help=".stl .3mf .dxf .svg or .png")],
    param: ParamOption = None,
    material: Annotated[str | None, typer.Option(help="Material named in a 3MF")] = None,
) -> None:
    """Build TEMPLATE with the parameters and write it; the suffix of -o picks the format."""
    template = Registry.from_environment().get(template_id)
    values = template.validate(parse_params(template.as_product(), param or []))
    geometry = template.build(values)
    colour = values.get("colour")
    labels = Labels(
        f"{template.id} {_summary(values)}", material, colour if isinstance(colour, str) else None
    )
    output.write_bytes(export(geometry, output.suffix, labels))
    console.print(f"wrote {output} ({output.stat().st_size} bytes)")


@catalog_app.command()
@user_errors
def estimate(
    template_id: Annotated[str, typer.Argument(metavar="TEMPLATE")],
    param: ParamOption = None,
    machine: Annotated[
        str | None, typer.Option(help="fdm, cnc_mill, laser_cut or textile_cut")
    ] = None,
    profile: Annotated[
        Path | None, typer.Option(help="A flattened PrusaSlicer ini for fdm")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Printability checks and machine time for TEMPLATE on one kind of machine."""
    template = Registry.from_environment().get(template_id)
    values = template.validate(parse_params(template.as_product(), param or []))
    chosen = _profile(template, machine, profile)
    geometry = template.build(values)
    report = check(geometry, chosen)
    result = {
        "template": template.id,
        "version": template.version,
        "params": values,
        "machine": chosen.name,
        "printable": report.ok,
        "problems": [f.message for f in report.problems],
        "notes": [f.message for f in report.notes],
        "estimate": estimate_on(geometry, chosen).as_dict() if report.ok else None,
    }
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    for key, value in result.items():
        console.print(f"[bold]{key}[/]: {value}", highlight=False)


def _profile(template: Template, machine: str | None, ini: Path | None) -> Profile:
    if ini is not None:
        return PrinterProfile.from_ini(ini)
    return profile_for(machine or template.processes[0])


def _summary(values: dict[str, ParamValue]) -> str:
    return " ".join(f"{k}={v}" for k, v in values.items())
