"""NPC template files: the TOML (or YAML, or JSON) a studio keeps in its repository.

A file holds the fields a developer writes, exactly as the API takes them::

    id, name, tags, description, response_style, default_model, system_prompt,
    actions, examples, state_schema

:func:`read_template` reads one (the format follows the file's suffix), :func:`dumps_toml`
writes a template as a commented TOML file that reads back to the same fields, and
:func:`starter` is what ``mg npc template init`` begins with.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = [
    "EDITABLE",
    "TemplateFileError",
    "dumps_toml",
    "editable",
    "loads_template",
    "read_template",
    "slug",
    "starter",
]

EDITABLE = (
    "id", "name", "tags", "description", "response_style", "default_model", "system_prompt",
    "actions", "examples", "state_schema",
)  # fmt: skip
FORMATS = {".toml": "toml", ".yaml": "yaml", ".yml": "yaml", ".json": "json"}


class TemplateFileError(ValueError):
    """A template file that cannot be read or written, with what to do about it."""

    def __init__(self, message: str, remediation: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.remediation = remediation


def slug(name: str) -> str:
    """A template id from a name: ``"Tavern Bard"`` → ``"tavern_bard"``."""
    text = re.sub(r"[^a-z0-9_-]+", "_", name.strip().lower()).strip("_-")
    if text and not text[0].isalpha():
        text = f"npc_{text}"
    return text[:64]


def _title(name: str) -> str:
    return name if re.search(r"[A-Z ]", name) else name.replace("_", " ").replace("-", " ").title()


def starter(name: str, base: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The fields of a new template called ``name`` (from ``base``, a template's fields, if given)."""
    title = _title(name)
    if base is not None:
        return dict(editable(base), id=slug(name), name=title)
    return {
        "id": slug(name),
        "name": title,
        "tags": ["rpg"],
        "description": f"One line about {title}, for whoever picks a template.",
        "response_style": "normal",
        "system_prompt": (
            f"You are {title}. Say who you are, where you live and what you want, how you speak,\n"
            "and what you would never do or know.\n"
        ),
        "actions": [
            {
                "name": "give_hint",
                "description": "Tell the player where to go next",
                "parameters": {"place": {"type": "string", "description": "A place in the game"}},
            }
        ],
        "examples": [{"player": "Who are you?", "reply": f"Folk call me {title}. What brings you here?"}],
    }


def editable(template: Mapping[str, Any]) -> dict[str, Any]:
    """The fields a file holds, from a template as the API answers it (unset ones left out)."""
    return {k: template[k] for k in EDITABLE if template.get(k) not in (None, [], "")}


# -- reading ------------------------------------------------------------------------------------


def read_template(path: Path) -> dict[str, Any]:
    """The fields in a template file; the suffix (.toml, .yaml/.yml, .json) says how to read it."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise TemplateFileError(
            f"{path}: a template file ends in .toml, .yaml, .yml or .json.",
            "Start one with `mg npc template init NAME`.",
        )
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TemplateFileError(
            f"{path}: no such file.", "Start one with `mg npc template init NAME`."
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise TemplateFileError(f"{path}: cannot read it ({exc}).") from exc
    return loads_template(text, fmt, str(path))


def loads_template(text: str, fmt: str = "toml", source: str = "the template") -> dict[str, Any]:
    """The fields in a template's text (``fmt``: toml, yaml or json)."""
    try:
        if fmt == "toml":
            import tomllib

            data: Any = tomllib.loads(text)
        elif fmt == "yaml":
            import yaml

            data = yaml.safe_load(text)
        else:
            data = json.loads(text)
    except Exception as exc:  # each parser has its own error class; all mean "not valid <fmt>"
        raise TemplateFileError(f"{source} is not valid {fmt.upper()}: {exc}") from exc
    if not isinstance(data, dict):
        raise TemplateFileError(f"{source} must hold a table of fields (id, name, system_prompt, ...).")
    try:
        json.dumps(data)
    except TypeError as exc:
        # YAML and TOML have dates and times; the API takes JSON.
        raise TemplateFileError(f"{source} holds a value JSON cannot carry ({exc}); quote it.") from exc
    return data


# -- writing TOML -------------------------------------------------------------------------------

_HEAD = """\
# NPC template "{name}" for mg: keep this file in your repository.
# Add it to your account:        mg npc template create {file}
# Change it:                     mg npc template update {file}
# See what an update would do:   mg npc template diff {id} {file}
# Each change makes a new version; threads keep the version they were made from.
"""
_COMMENTS = {
    "id": "The id that threads and chat requests name (npc_template): lower-case letters, digits, _ and -.",
    "name": "The display name.",
    "tags": "Tags to find it by: mg npc templates --tags rpg",
    "description": "One line about the NPC.",
    "response_style": "How much the NPC says: terse, normal, verbose or dramatic.",
    "default_model": "The model it speaks with when a request names none (optional).",
    "system_prompt": "Who the NPC is: the start of the system prompt of every thread made from it.",
    "actions": (
        "Game actions the NPC may trigger, checked as a thread's actions are. `parameters` maps each\n"
        "argument to its JSON Schema (all required unless `required` lists them), or is a whole schema."
    ),
    "examples": "Example exchanges in the NPC's voice.",
    "state_schema": "A JSON Schema the thread's game state must match whenever it is set.",
}
_HINTS = {
    "tags": 'tags = ["rpg"]',
    "description": 'description = "A trader who never gives anything away."',
    "response_style": 'response_style = "normal"',
    "default_model": 'default_model = "deepseek-chat"',
    "actions": '[[actions]]\nname = "open_shop"\ndescription = "Open the shop window"',
    "examples": '[[examples]]\nplayer = "Hello!"\nreply = "Well met, traveller."',
    "state_schema": '[state_schema]\ntype = "object"\n\n[state_schema.properties.gold]\ntype = "integer"',
}
_TABLES = ("actions", "examples", "state_schema")


def _comment(text: str) -> str:
    return "".join(f"# {line}".rstrip() + "\n" for line in text.splitlines())


def _dump(key: str, value: Any) -> str:
    import tomli_w

    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        # One line, where tomli_w writes an element per line; JSON strings are TOML strings.
        return f"{key} = {json.dumps(value, ensure_ascii=False)}\n"
    try:
        return tomli_w.dumps({key: value}, multiline_strings=True)
    except TypeError as exc:
        raise TemplateFileError(
            f"The template's {key} holds a null, which TOML cannot write ({exc}).",
            "Keep this template as a .yaml or .json file instead.",
        ) from exc


def dumps_toml(template: Mapping[str, Any], file_name: str | None = None, *, comments: bool = True) -> str:
    """A commented TOML file of the template's fields; it reads back to :func:`editable`'s.

    ``comments=False`` writes the fields alone (what ``mg npc template diff`` compares).
    """
    fields = editable(template)
    file_name = file_name or f"{fields.get('id', 'template')}.toml"
    say = _comment if comments else (lambda text: "")
    gap = "\n" if comments else ""
    parts = [
        _HEAD.format(name=fields.get("name", ""), id=fields.get("id", "ID"), file=file_name)
        if comments
        else ""
    ]
    for key in EDITABLE:
        if key in _TABLES:
            continue
        parts.append(gap + say(_COMMENTS[key]))
        parts.append(_dump(key, fields[key]) if key in fields else say(_HINTS[key]))
    tables = [(key, _dump(key, fields[key]) if key in fields else say(_HINTS[key])) for key in _TABLES]
    # tomli_w writes short arrays inline (`key = [...]`); a plain key after a [table] would
    # belong to that table, so inline ones go first.
    tables.sort(key=lambda pair: pair[1].startswith("["))
    for key, text in tables:
        parts.append(gap + say(_COMMENTS[key]) + text)
    return "".join(parts)
