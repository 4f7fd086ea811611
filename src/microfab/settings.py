"""Settings from the environment (``MICROFAB_*``), refusing values that are unsafe or unclear."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE = "microfab.db"


class Settings(BaseSettings):
    """Where microfab keeps its state and how it serves.

    ``MICROFAB_DATABASE_URL`` picks the database: a SQLite file by default, PostgreSQL with
    ``postgresql+psycopg://user@host/db`` when one machine is no longer enough.
    """

    model_config = SettingsConfigDict(env_prefix="MICROFAB_", extra="ignore")

    database_url: str = Field(default=f"sqlite:///{DEFAULT_DATABASE}")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    seed: int | None = None
    planner: Literal["atcs", "edd", "greedy"] = "atcs"
    """How factories are planned: re-planned with the changeover-aware ATCS rule on every
    change (``atcs``), or each order placed where it finishes first and never moved (``greedy``,
    the first version, kept as a baseline)."""
    plan_seconds: float = Field(default=0.0, ge=0.0, le=60.0)
    """CP-SAT time per factory re-plan to improve on the rule; 0 uses the rule alone."""
    gcode_dir: Path | None = None
    """Where G-code for real printers is kept, one file per task (default: the temp folder)."""

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite:", "postgresql:", "postgresql+psycopg:")):
            raise ValueError(
                "MICROFAB_DATABASE_URL must be sqlite:///FILE or postgresql+psycopg://USER@HOST/DB"
            )
        return value


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path.expanduser().resolve()}"
