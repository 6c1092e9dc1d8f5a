"""A studio's own NPC templates in the TUI, against a real gateway: the new-thread dialog offers
them beside the built-ins, and the side panel opens one in an editor tab and saves it."""

from __future__ import annotations

import tomllib
from typing import Any

import pytest

from tests.tui.conftest import World, settle, text_of
from tui.widgets.notice import Notice

SMITH: dict[str, Any] = {
    "id": "iron_smith",
    "name": "Iron Smith",
    "tags": ["rpg", "crafting"],
    "system_prompt": "You are a dwarven smith of the Iron Clans.\n",
    "response_style": "terse",
    "actions": [
        {"name": "forge_item", "description": "Forge it", "parameters": {"item_id": {"type": "string"}}}
    ],
}


@pytest.fixture
def studio(world: World) -> World:
    with world.client() as client:
        client.npc.templates.create(SMITH)
    return world


def notice_text(app: Any) -> str:
    return text_of(app.screen.query_one("#dialogue-notice", Notice))


async def open_in_editor(app: Any, pilot: Any, which: str) -> Any:
    """Prompt tab → "Edit a template…" → type to pick one → Enter: the editor tab's TextArea."""
    app.screen.query_one("#side-tabs").active = "tab-prompt"
    await pilot.pause()
    await pilot.click("#edit-template")
    await pilot.pause()
    await pilot.press(*which, "enter")
    await settle(pilot)
    assert app.screen.query_one("#side-tabs").active == "tab-template"
    return app.screen.query_one("#template-text")


async def save(app: Any, pilot: Any, area: Any, text: str) -> None:
    area.load_text(text)
    area.focus()
    await pilot.press("ctrl+s")
    await settle(pilot)


async def test_the_new_thread_dialog_offers_the_studios_templates_first(studio: World) -> None:
    app = studio.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+n")
        await pilot.pause()
        options = app.screen.fields[0].options
        assert options[0] == ("Iron Smith (iron_smith) · yours v1", "iron_smith")
        assert ("Merchant (merchant) · built-in", "merchant") in options and len(options) == 7
        assert app.screen.query_one("#field-template").value == "iron_smith"
        app.screen.query_one("#field-npc_id").value = "borin"
        await pilot.press("ctrl+s")
        await settle(pilot)
    made = studio.client().threads.list(npc_id="borin")
    assert [(t["npc_template"], t["npc_template_version"]) for t in made] == [("iron_smith", 1)]


async def test_a_template_is_edited_in_a_tab_and_saved_as_a_new_version(studio: World) -> None:
    app = studio.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        area = await open_in_editor(app, pilot, "iron_smith")
        assert "version 1" in text_of(app.screen.query_one("#template-heading"))
        fields = tomllib.loads(area.text)
        assert fields == SMITH, "the tab holds the template's file, fields as stored"

        await save(app, pilot, area, area.text.replace('"terse"', '"verbose"'))
        stored = studio.client().npc.templates.get("iron_smith")
        assert (stored["version"], stored["response_style"]) == (2, "verbose")
        assert "Saved template iron_smith as version 2" in notice_text(app)
        assert "version 2" in text_of(app.screen.query_one("#template-heading"))

        # Someone else saves version 3 meanwhile: this tab's change (made to 2) is refused.
        studio.client().npc.templates.update("iron_smith", description="Changed elsewhere")
        await save(app, pilot, area, area.text.replace('"verbose"', '"dramatic"'))
        assert "CONFLICT" in notice_text(app) and "version 3" in notice_text(app)
        assert studio.client().npc.templates.get("iron_smith")["response_style"] == "verbose"

        await save(app, pilot, area, 'id = "iron_smith"\nname = "broken')
        assert "not valid TOML" in notice_text(app) and "Unexpected" not in notice_text(app)
        assert app.is_running


async def test_a_built_in_opens_as_a_copy_that_saves_as_the_studios_own(studio: World) -> None:
    app = studio.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        area = await open_in_editor(app, pilot, "(villain)")
        assert "copy of the built-in villain" in text_of(app.screen.query_one("#template-heading"))
        await save(app, pilot, area, area.text)
        assert "Created template my_villain (version 1)" in notice_text(app)
        await pilot.press("ctrl+n")
        await pilot.pause()
        labels = [label for label, _ in app.screen.fields[0].options]
        assert labels[:2] == ["Iron Smith (iron_smith) · yours v1", "My Villain (my_villain) · yours v1"]
    mine = studio.client().npc.templates.get("my_villain")
    villain = studio.client().npc.templates.get("villain")
    assert mine["builtin"] is False and mine["system_prompt"] == villain["system_prompt"]
    assert mine["actions"] == villain["actions"]
