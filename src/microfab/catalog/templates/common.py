"""Parameter sets and helpers that several shipped templates share."""

from __future__ import annotations

from microfab.catalog.model import Parameter, ParameterKind

LATIN = (
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 -.&'!?,:+/()"
    "ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÑÒÓÔÕÖØÙÚÛÜÝàáâãäåæçèéêëìíîïñòóôõöøùúûüýÿß"
    "ĀāĂăĄąĆćČčĎďĐđĒēĘęĚěĞğĪīİıŁłŃńŇňŌōŐőŒœŘřŚśŞşŠšŤťŪūŮůŰűŸŹźŻżŽž"
)
"""Characters offered for names: what the shipped font draws and a customer is likely to type."""

PALETTE = ("black", "white", "red", "blue", "green", "orange")

# A choice rather than a ``colour`` parameter: the demo's demand generator draws values for the
# kinds it knows, and a palette is what a print farm stocks anyway.
FILAMENT_COLOUR = Parameter(
    name="colour",
    kind=ParameterKind.CHOICE,
    default="black",
    choices=PALETTE,
    description="Filament colour",
)


def text_parameter(name: str, default: str, description: str, max_length: int) -> Parameter:
    return Parameter(
        name=name,
        kind=ParameterKind.TEXT,
        default=default,
        description=description,
        max_length=max_length,
        charset=LATIN,
    )


def millimetres(
    name: str,
    default: float,
    low: float,
    high: float,
    description: str,
    step: float | None = None,
) -> Parameter:
    return Parameter(
        name=name,
        kind=ParameterKind.NUMBER,
        default=default,
        description=description,
        unit="mm",
        minimum=low,
        maximum=high,
        step=step,
    )
