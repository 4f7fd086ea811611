"""CO2e arithmetic: energy on the grid, embodied in materials, and transport by mode."""

from __future__ import annotations

from dataclasses import dataclass

from microfab.network.model import EmissionFactors, Mode

ROAD_CIRCUITY = 1.3
"""Road distance over great-circle distance; about 1.2–1.4 in Central Europe."""


@dataclass(frozen=True)
class Footprint:
    """kg CO2e split by where it comes from."""

    energy: float = 0.0
    materials: float = 0.0
    transport: float = 0.0

    @property
    def total(self) -> float:
        return self.energy + self.materials + self.transport

    def __add__(self, other: Footprint) -> Footprint:
        return Footprint(
            self.energy + other.energy,
            self.materials + other.materials,
            self.transport + other.transport,
        )

    def as_dict(self) -> dict[str, float]:
        return {
            "energy": round(self.energy, 4),
            "materials": round(self.materials, 4),
            "transport": round(self.transport, 4),
            "total": round(self.total, 4),
        }


def energy_kg(kwh: float, grid_gco2_per_kwh: float) -> float:
    return kwh * grid_gco2_per_kwh / 1000.0


def transport_kg(factors: EmissionFactors, mode: Mode, mass_kg: float, distance_km: float) -> float:
    return factors.transport_kg(mode, mass_kg, distance_km)
