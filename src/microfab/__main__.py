"""Run the command-line interface with ``python -m microfab``."""

from microfab.cli.main import run

run()
