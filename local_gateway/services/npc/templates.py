"""NPC templates: personality archetypes kept as data files in ``local_gateway/data/npc_templates``."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from local_gateway.services.npc.actions import normalize_actions
from mg.errors import InvalidRequestError, NotFoundError


@dataclass(frozen=True)
class Template:
    id: str
    name: str
    tags: tuple[str, ...]
    description: str
    system_prompt: str
    response_style: str
    actions: list[dict[str, Any]] = field(default_factory=list)
    example: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "npc.template",
            "name": self.name,
            "tags": list(self.tags),
            "description": self.description,
            "response_style": self.response_style,
        }

    def detail(self) -> dict[str, Any]:
        return dict(
            self.summary(),
            system_prompt=self.system_prompt,
            actions=self.actions,
            example=self.example,
        )


class TemplateLibrary:
    def __init__(self, templates: list[Template]) -> None:
        self._by_id = {t.id: t for t in sorted(templates, key=lambda t: t.id)}

    def list(self, tags: list[str] | None = None) -> list[Template]:
        """Templates carrying every tag in ``tags``."""
        wanted = {t.lower() for t in tags or ()}
        return [t for t in self._by_id.values() if wanted <= set(t.tags)]

    def get(self, template_id: str) -> Template:
        found = self._by_id.get(template_id)
        if found is None:
            raise NotFoundError(f"There is no NPC template '{template_id}'.")
        return found

    def resolve(self, template_id: str | None, where: str = "npc_template") -> Template | None:
        """The template a request names, or a 400 that names the field."""
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


def _parse(raw: dict[str, Any], source: str) -> Template:
    try:
        return Template(
            id=str(raw["id"]),
            name=str(raw["name"]),
            tags=tuple(str(t).lower() for t in raw.get("tags", ())),
            description=str(raw.get("description", "")),
            system_prompt=str(raw["system_prompt"]).strip(),
            response_style=str(raw.get("response_style", "normal")),
            actions=normalize_actions(raw.get("actions", []), f"{source}: actions"),
            example=dict(raw.get("example") or {}),
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
