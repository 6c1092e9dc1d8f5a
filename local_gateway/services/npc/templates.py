"""NPC templates: personality archetypes. The built-in ones are data files in
``local_gateway/data/npc_templates``; a developer's own are rows (see :mod:`studio_templates`).
"""

from __future__ import annotations

import builtins
import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any

from local_gateway.services.npc.actions import normalize_actions
from mg.errors import InvalidRequestError, NotFoundError
from mg.times import format_time


@dataclass(frozen=True)
class Template:
    """One template as threads and prompts use it: a built-in, or one version of a developer's."""

    id: str
    name: str
    tags: tuple[str, ...]
    description: str
    system_prompt: str
    response_style: str
    actions: list[dict[str, Any]] = field(default_factory=list)
    examples: list[dict[str, Any]] = field(default_factory=list)
    default_model: str | None = None
    state_schema: dict[str, Any] | None = None
    # None for a built-in: built-ins change with releases, a developer's template with each update.
    version: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def builtin(self) -> bool:
        return self.version is None

    @property
    def example(self) -> dict[str, Any]:
        """The first example exchange (the field older clients read)."""
        return self.examples[0] if self.examples else {}

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "npc.template",
            "name": self.name,
            "tags": list(self.tags),
            "description": self.description,
            "response_style": self.response_style,
            "builtin": self.builtin,
            "version": self.version,
            "default_model": self.default_model,
            "created_at": format_time(self.created_at) if self.created_at else None,
            "updated_at": format_time(self.updated_at) if self.updated_at else None,
        }

    def detail(self) -> dict[str, Any]:
        return dict(
            self.summary(),
            system_prompt=self.system_prompt,
            actions=self.actions,
            example=self.example,
            examples=self.examples,
            state_schema=self.state_schema,
        )


class TemplateLibrary:
    """The built-in templates, the same for every developer."""

    def __init__(self, templates: list[Template]) -> None:
        self._by_id = {t.id: t for t in sorted(templates, key=lambda t: t.id)}

    def list(self, tags: list[str] | None = None) -> list[Template]:
        """Templates carrying every tag in ``tags``."""
        return [t for t in self._by_id.values() if has_tags(t, tags)]

    def find(self, template_id: str) -> Template | None:
        return self._by_id.get(template_id)

    @property
    def ids(self) -> builtins.list[str]:
        return list(self._by_id)

    def get(self, template_id: str) -> Template:
        found = self._by_id.get(template_id)
        if found is None:
            raise NotFoundError(f"There is no NPC template '{template_id}'.")
        return found

    def resolve(self, template_id: str | None, where: str = "npc_template") -> Template | None:
        """The built-in a request names, or a 400 that names the field."""
        if template_id is None:
            return None
        found = self._by_id.get(template_id)
        if found is None:
            raise InvalidRequestError(
                f"'{where}' is {template_id!r}, which is not a template; "
                f"use one of {', '.join(self._by_id)}.",
                remediation="List the templates with GET /v1/npc/templates.",
            )
        return found


def has_tags(template: Template, tags: list[str] | None) -> bool:
    return {t.lower() for t in tags or ()} <= set(template.tags)


def _parse(raw: dict[str, Any], source: str) -> Template:
    try:
        example = raw.get("example")
        return Template(
            id=str(raw["id"]),
            name=str(raw["name"]),
            tags=tuple(str(t).lower() for t in raw.get("tags", ())),
            description=str(raw.get("description", "")),
            system_prompt=str(raw["system_prompt"]).strip(),
            response_style=str(raw.get("response_style", "normal")),
            # Built-in files: tests check their schemas (test_templates_are_complete).
            actions=normalize_actions(raw.get("actions", []), f"{source}: actions", check_schemas=False),
            examples=[dict(e) for e in raw.get("examples") or ([example] if example else [])],
        )
    except (KeyError, InvalidRequestError) as exc:
        raise ValueError(f"NPC template {source} is invalid: {exc}") from exc


@cache
def load_templates() -> TemplateLibrary:
    folder = resources.files("local_gateway.data").joinpath("npc_templates")
    templates = []
    for entry in folder.iterdir():
        if entry.name.endswith(".toml"):
            templates.append(_parse(tomllib.loads(entry.read_text(encoding="utf-8")), entry.name))
    return TemplateLibrary(templates)
