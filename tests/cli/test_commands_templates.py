"""`mg npc template ...` as a studio runs it: files in a repository, new `mg` processes, a real
gateway (SQLite and PostgreSQL), `--json` checked."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from tests.support.gateway_process import GatewayProcess
from tests.support.mg_cli import Result, run_mg

ANSI = re.compile(r"\x1b\[")
BUILTINS = ["companion", "guard", "healer", "merchant", "quest_giver", "villain"]


@pytest.fixture
def env(gateway: GatewayProcess) -> dict[str, str]:
    """A developer of each test's own."""
    return {"MG_BASE_URL": gateway.url, "MG_API_KEY": gateway.create_key(tier="studio")["api_key"]}


def ok(result: Result) -> Result:
    assert result.code == 0, result
    text = result.out + result.err
    assert not ANSI.search(text) and "Traceback" not in text, str(result)
    return result


def shown(env: dict[str, str], template_id: str) -> dict[str, Any]:
    return ok(run_mg("npc", "template", template_id, "--json", **env)).json()  # type: ignore[no-any-return]


def test_init_edit_create_and_get_equals_the_file(env: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "npcs" / "tavern_bard.toml"
    written = ok(run_mg("npc", "template", "init", "Tavern Bard", "-o", str(path), **env))
    assert "mg npc template create" in written.err
    text = path.read_text()
    assert text.startswith('# NPC template "Tavern Bard"') and 'id = "tavern_bard"' in text
    again = run_mg("npc", "template", "init", "Tavern Bard", "-o", str(path), **env)
    assert again.code == 2 and "exists already" in again.err, "an edited file is never overwritten"

    # The studio edits the file as text: a real prompt, a model, and the commented state schema.
    prompt = (
        'system_prompt = """\nYou are Lark, a bard who sings of\nold wars.\n\nYou never pay for a drink.\n"""'
    )
    text = re.sub(r'system_prompt = """\n.*?"""', prompt, text, flags=re.S)
    text = text.replace('# default_model = "deepseek-chat"', 'default_model = "gpt-4o-mini"')
    text = re.sub(r"^# (\[state_schema|type|$)", r"\1", text, flags=re.M)
    path.write_text(text)
    in_file = tomllib.loads(text)
    assert in_file["state_schema"] == {"type": "object", "properties": {"gold": {"type": "integer"}}}

    created = ok(run_mg("npc", "template", "create", str(path), "--json", **env)).json()
    assert created["version"] == 1
    template = shown(env, "tavern_bard")
    assert {k: template[k] for k in in_file} == in_file, "GET gives back exactly the file's fields"
    assert template["builtin"] is False and template["system_prompt"].endswith("drink.\n")

    # The same file again changes nothing; an edit makes version 2, and diff shows it first.
    assert "unchanged (version 1)" in ok(run_mg("npc", "template", "update", str(path), **env)).err
    path.write_text(text.replace('response_style = "normal"', 'response_style = "dramatic"'))
    diff = ok(run_mg("npc", "template", "diff", "tavern_bard", str(path), **env)).out
    assert diff.startswith("--- tavern_bard (version 1)\n+++ ") and "would be version 2" in diff
    assert '-response_style = "normal"\n+response_style = "dramatic"\n' in diff
    assert shown(env, "tavern_bard")["version"] == 1, "diff stores nothing"
    assert "to version 2" in ok(run_mg("npc", "template", "update", str(path), **env)).err
    nothing = ok(run_mg("npc", "template", "diff", "tavern_bard", str(path), **env))
    assert nothing.out == "" and "No changes" in nothing.err
    assert shown(env, "tavern_bard")["response_style"] == "dramatic"


def test_yaml_files_list_mine_remove_and_unknown_ids(env: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "iron_smith.yaml"
    path.write_text(
        "id: iron_smith\nname: Iron Smith\ntags: [rpg, crafting]\n"
        "system_prompt: |\n  You are a dwarven smith of the Iron Clans.\n"
        "actions:\n  - name: forge_item\n    parameters:\n      item_id: {type: string}\n"
    )
    checked = ok(run_mg("npc", "template", "create", str(path), "--dry-run", **env))
    assert "Checked template iron_smith (version 1)" in checked.err
    assert run_mg("npc", "templates", "--mine", **env).err.startswith("You have no templates")
    ok(run_mg("npc", "template", "create", str(path), **env))
    mine = ok(run_mg("npc", "templates", "--mine", "--json", **env)).json()
    assert [t["id"] for t in mine] == ["iron_smith"]
    table = ok(run_mg("npc", "templates", **env)).out.splitlines()
    assert [line.split("\t")[0] for line in table] == [*BUILTINS, "iron_smith"]
    assert table[-1].split("\t")[4] == "v1" and table[0].split("\t")[4] == "built-in"
    public = run_mg("npc", "templates", "--json", MG_BASE_URL=env["MG_BASE_URL"])
    assert [t["id"] for t in ok(public).json()] == BUILTINS, "without a key: the built-ins"

    unknown = run_mg("npc", "template", "nosuch", **env)
    assert unknown.code == 4, unknown
    assert "There is no NPC template 'nosuch'" in unknown.err
    assert "merchant" in unknown.err and "yours: iron_smith" in unknown.err, "it says which templates exist"
    assert "belong to the account" not in unknown.err

    shadow = tmp_path / "merchant.toml"
    shadow.write_text('id = "merchant"\nname = "Mine"\nsystem_prompt = "You sell."\n')
    builtin = run_mg("npc", "template", "update", str(shadow), **env)
    assert builtin.code == 1 and "built-in" in builtin.err
    bad = tmp_path / "bad.toml"
    bad.write_text('id = "loud_bard"\nname = "Loud"\nsystem_prompt = "' + "la " * 11_000 + '"\n')
    refused = run_mg("npc", "template", "create", str(bad), **env)
    assert refused.code == 1 and "'system_prompt' is 33000 characters" in refused.err
    broken = tmp_path / "broken.toml"
    broken.write_text('id = "x\n')
    assert run_mg("npc", "template", "create", str(broken), **env).code == 2
    assert run_mg("npc", "template", "create", str(tmp_path / "missing.toml"), **env).code == 4

    removed = ok(run_mg("npc", "template", "rm", "iron_smith", "--json", **env)).json()
    assert removed == {"id": "iron_smith", "object": "npc.template.deleted", "deleted": True}
    assert run_mg("npc", "template", "iron_smith", **env).code == 4


def test_init_from_a_template_and_show_as_toml(env: dict[str, str], tmp_path: Path) -> None:
    copied = ok(run_mg("npc", "template", "init", "haggler", "--from", "merchant", "-o", "-", **env)).out
    fields = tomllib.loads(copied)
    merchant = shown(env, "merchant")
    assert (fields["id"], fields["name"]) == ("haggler", "Haggler")
    assert fields["system_prompt"] == merchant["system_prompt"] and fields["actions"] == merchant["actions"]
    path = tmp_path / "haggler.toml"
    path.write_text(copied)
    ok(run_mg("npc", "template", "create", str(path), **env))
    as_toml = ok(run_mg("npc", "template", "show", "haggler", "--toml", **env)).out
    assert tomllib.loads(as_toml) == fields, "show --toml writes the file back"
    thread = ok(
        run_mg("threads", "create", "--npc", "trader_7", "--template", "haggler", "--json", **env)
    ).json()
    assert (thread["npc_template"], thread["npc_template_version"]) == ("haggler", 1)
    detail = ok(run_mg("npc", "template", "haggler", **env)).out
    assert detail.startswith("Haggler (haggler) · yours, version 1")
    assert json.dumps(merchant["examples"][0]["player"])[1:-1] in detail


def test_chat_with_a_template_speaks_with_its_default_model(env: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "quartermaster.toml"
    ok(run_mg("npc", "template", "init", "Quartermaster", "-o", str(path), **env))
    text = path.read_text().replace('# default_model = "deepseek-chat"', 'default_model = "gpt-4o-mini"')
    path.write_text(text)
    ok(run_mg("npc", "template", "create", str(path), **env))
    chat = ("chat", "--json", "--npc", "qm_1", "--player", "p1", "--template", "quartermaster", "hi")
    assert ok(run_mg(*chat, **env)).json()["model"] == "gpt-4o-mini"
    # A model named on the command line still wins over the template's.
    named = ok(run_mg(*chat[:-1], "--model", "deepseek-chat", "again", **env)).json()
    assert named["model"] == "deepseek-chat"
