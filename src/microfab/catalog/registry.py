"""Where templates come from: the ones shipped with microfab, installed packages and a folder.

Three sources, looked up in this order, with no registration by import side effect:

* ``BUILT_INS``: id → ``"module:attribute"``, imported on first use;
* the entry-point group ``microfab.templates`` (a package declares
  ``[project.entry-points."microfab.templates"] my-lamp = "my_pkg.lamp:TEMPLATE"``);
* every ``*.py`` module in the folders named by ``MICROFAB_TEMPLATE_PATH`` (separated like
  ``PATH``), each defining ``TEMPLATE``.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from collections.abc import Iterator, Sequence
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from types import ModuleType

from microfab.catalog.template import Template
from microfab.errors import InvalidInput, NotFound

ENTRY_POINT_GROUP = "microfab.templates"
PATH_VARIABLE = "MICROFAB_TEMPLATE_PATH"

BUILT_INS: dict[str, str] = {
    "phone-grip": "microfab.catalog.templates.phone_grip:TEMPLATE",
    "custom-insole": "microfab.catalog.templates.insole:TEMPLATE",
    "window-crank-knob": "microfab.catalog.templates.crank_knob:TEMPLATE",
    "mounting-bracket": "microfab.catalog.templates.bracket:TEMPLATE",
    "name-sign": "microfab.catalog.templates.name_sign:TEMPLATE",
    "tote-bag": "microfab.catalog.templates.tote_bag:TEMPLATE",
}


class Registry:
    """Finds a template by id; loads each at most once."""

    def __init__(self, folders: Sequence[Path] = (), entry_points_enabled: bool = True) -> None:
        self.folders = tuple(folders)
        self._entry_points = entry_points_enabled
        self._loaded: dict[str, Template] = {}
        self._folder_templates: dict[str, Path] | None = None

    @classmethod
    def from_environment(cls) -> Registry:
        """Built-ins, entry points and the folders in ``MICROFAB_TEMPLATE_PATH``."""
        raw = os.environ.get(PATH_VARIABLE, "")
        return cls([Path(p) for p in raw.split(os.pathsep) if p])

    def ids(self) -> list[str]:
        """Every template id this registry can load, sorted."""
        return sorted({*BUILT_INS, *self._entry_point_names(), *self._folder_ids()})

    def get(self, template_id: str) -> Template:
        """The template ``template_id``, or ``NotFound`` naming the ones there are."""
        if template_id not in self._loaded:
            self._loaded[template_id] = self._load(template_id)
        return self._loaded[template_id]

    def all(self) -> Iterator[Template]:
        for template_id in self.ids():
            yield self.get(template_id)

    def _load(self, template_id: str) -> Template:
        if template_id in BUILT_INS:
            return _checked(_import(BUILT_INS[template_id]), BUILT_INS[template_id])
        for entry in self._entry_point_list():
            if entry.name == template_id:
                return _checked(entry.load(), f"entry point {entry.value}")
        if template_id in self._folder_paths():
            return self._loaded[template_id]  # imported once, while listing the folders
        raise NotFound(
            f"there is no product template {template_id!r}; there are: {', '.join(self.ids())}"
        )

    def _entry_point_list(self) -> list[EntryPoint]:
        return list(entry_points(group=ENTRY_POINT_GROUP)) if self._entry_points else []

    def _entry_point_names(self) -> list[str]:
        return [e.name for e in self._entry_point_list()]

    def _folder_ids(self) -> list[str]:
        return list(self._folder_paths())

    def _folder_paths(self) -> dict[str, Path]:
        """Template id → module file, read from each module's ``TEMPLATE`` once."""
        if self._folder_templates is None:
            self._folder_templates = {}
            for folder in self.folders:
                for path in sorted(folder.glob("*.py")):
                    template = getattr(_module_at(path), "TEMPLATE", None)
                    if isinstance(template, Template):
                        self._folder_templates[template.id] = path
                        self._loaded.setdefault(template.id, template)
        return self._folder_templates


def _import(target: str) -> object:
    module, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module), attribute)


def _module_at(path: Path) -> ModuleType:
    """Import the module in ``path`` under a private name, or say what is wrong with it."""
    spec = importlib.util.spec_from_file_location(f"microfab_user_templates.{path.stem}", path)
    if spec is None or spec.loader is None:
        raise InvalidInput(f"{path}: not a Python module")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # a user's module may fail in any way; say where and why
        raise InvalidInput(f"{path}: the template module failed to load: {exc}") from exc
    return module


def _checked(value: object, source: str) -> Template:
    if not isinstance(value, Template):
        raise InvalidInput(f"{source}: TEMPLATE must be a microfab.catalog.template.Template")
    return value
