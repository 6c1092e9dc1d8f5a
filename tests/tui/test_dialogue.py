"""The dialogue explorer driven like a user does, against a real gateway."""

from __future__ import annotations

import json
from pathlib import Path

from tests.tui.conftest import World, settle, text_of
from tui.widgets.action_card import ActionCard
from tui.widgets.conversation import Conversation, MessageView, ReplyView
from tui.widgets.notice import Notice
from tui.widgets.state_tree import StateTree
from tui.widgets.thread_list import ThreadList


def speakers_and_words(app) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [(v.speaker, v.content) for v in app.screen.query_one(Conversation).query(MessageView)]


async def test_opens_the_thread_with_its_history_state_and_actions(world: World) -> None:
    app = world.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        said = speakers_and_words(app)
        assert said[0] == ("player_1", "Got any swords? What do they cost?")
        assert said[1][0] == "blacksmith_01" and said[1][1]
        cards = [c.call_name for c in app.screen.query(ActionCard)]
        assert "offer_trade" in cards
        tree = app.screen.query_one(StateTree)
        assert tree.state == {"gold": 5, "quest": {"stage": 2, "items": ["map", "key"]}}
        labels = [str(n.label) for n in app.screen.query_one(ThreadList).thread_tree.root.children]
        assert labels[0].startswith("blacksmith_01") and labels[1].startswith("Group scenes")


async def test_a_message_streams_its_reply_in_and_the_count_follows(world: World) -> None:
    app = world.app()
    chunks_seen: list[int] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        original = ReplyView.append

        async def counting(self: ReplyView, text: str) -> None:
            chunks_seen.append(len(text))
            await original(self, text)

        ReplyView.append = counting  # type: ignore[method-assign]
        try:
            await pilot.click("#prompt")
            await pilot.press(*"Tell me about your forge and your finest blades.", "enter")
            await settle(pilot)
        finally:
            ReplyView.append = original  # type: ignore[method-assign]
        stored = world.client().threads.messages(world.merchant["id"])
        assert stored[-2]["content"] == "Tell me about your forge and your finest blades."
        reply = app.screen.query(ReplyView).last()
        assert reply.content == stored[-1]["content"]
        assert len(chunks_seen) > 1, "the reply arrived in pieces, as they streamed"
        assert not reply.has_class("-streaming")
        names = {c.call_name for c in app.screen.query(ActionCard)}
        assert {fn["function"]["name"] for fn in stored[-1]["tool_calls"] or []} <= names
        leaf = app.screen.query_one(ThreadList)._thread_nodes[world.merchant["id"]]
        assert str(leaf.label).startswith("  4 player_1"), "the message count is live"


async def test_an_edited_state_is_saved_and_the_next_reply_sees_it(world: World) -> None:
    app = world.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        tree = app.screen.query_one(StateTree)
        tree.focus()
        gold = next(n for n in tree.root.children if n.data == ("gold",))
        tree.move_cursor(gold)
        await pilot.press("e")
        await pilot.pause()
        box = app.screen.query_one("#field-value")
        box.value = "99"
        await pilot.press("enter")
        await settle(pilot)
        assert world.client().threads.get_state(world.merchant["id"])["state"]["gold"] == 99
        assert "State saved" in text_of(app.screen.query_one("#dialogue-notice", Notice))
        assert tree.state["gold"] == 99
        await pilot.click("#prompt")
        await pilot.press(*"How much gold do I have?", "enter")
        await settle(pilot)
        assert "99 gold" in app.screen.query(ReplyView).last().content


async def test_a_scene_lets_the_user_direct_who_speaks(world: World) -> None:
    app = world.app(thread_id=world.scene["id"])
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+t")
        await pilot.pause()
        await pilot.press(*"Ilsa", "enter")
        await pilot.pause()
        assert "next: Ilsa" in text_of(app.screen.query_one("#thread-heading"))
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen.query(ReplyView).last().speaker == "Ilsa"
        stored = world.client().threads.messages(world.scene["id"])
        assert stored[-1]["name"] == "healer_1"


async def test_new_thread_from_a_template_then_export_to_jsonl(world: World, tmp_path: Path) -> None:
    app = world.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+n")
        await pilot.pause()
        app.screen.query_one("#field-npc_id").value = "gatekeeper_7"
        await pilot.press("ctrl+s")
        await settle(pilot)
        created = world.client().threads.list(npc_id="gatekeeper_7")
        assert len(created) == 1 and created[0]["npc_template"] == "companion"
        assert app.screen.thread["id"] == created[0]["id"]
        await pilot.click("#prompt")
        await pilot.press(*"Hello", "enter")
        await settle(pilot)
        target = tmp_path / "out.jsonl"
        await pilot.press("ctrl+l")
        await pilot.pause()
        app.screen.query_one("#field-path").value = str(target)
        await pilot.press("ctrl+s")
        await settle(pilot)
        lines = [json.loads(line) for line in target.read_text().splitlines()]
        assert len(lines) == 1
        assert [m["role"] for m in lines[0]["messages"]][-2:] == ["user", "assistant"]


async def test_the_system_prompt_is_edited_and_saved(world: World) -> None:
    app = world.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.screen.query_one("#side-tabs").active = "tab-prompt"
        await pilot.pause()
        area = app.screen.query_one("#system-prompt")
        area.focus()
        area.load_text("You distrust elves.")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert world.client().threads.get(world.merchant["id"])["system_prompt"] == "You distrust elves."


async def test_a_refused_key_is_shown_inline_with_its_remediation(world: World) -> None:
    from mg.client import AsyncMonsterClient
    from tui.app import MgApp

    client = AsyncMonsterClient("mg_test_" + "x" * 32, world.gateway.url, max_retries=0)
    app = MgApp(client=client, connection="test", refresh_seconds=0)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        notice = app.screen.query_one("#dialogue-notice", Notice)
        assert notice.display and notice.has_class("-error")
        text = text_of(notice)
        assert "INVALID_API_KEY" in text and "Traceback" not in text
        assert app.is_running


async def test_the_palette_offers_every_action_with_its_key(world: World) -> None:
    from tui.commands import ActionsProvider

    app = world.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        provider = ActionsProvider(app.screen)
        titles = [title for title, _, _ in provider._commands()]
        for expected in ("New thread  [^n]", "Scene  [^g]", "Model  [^o]", "Export  [^l]", "Crashes  [f2]"):
            assert expected in titles, titles
        assert any(t.startswith("Edit value") for t in titles), "widget actions are there too"
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"export")
        await settle(pilot)
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.query_one("#field-path") is not None


async def test_the_webhooks_tab_shows_the_threads_deliveries(world: World, tmp_path: Path) -> None:
    from tests.support.webhook_receiver import running_receiver

    with running_receiver(tmp_path / "receiver") as receiver, world.client() as client:
        hook = client.webhooks.create(url=receiver.url + "/hook", events=["thread.message"])
        assert hook["secret"].startswith("whsec_")
        app = world.app()
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            app.screen.query_one("#side-panel").show_tab("webhooks")
            await settle(pilot)
            empty = text_of(app.screen.query_one("#deliveries-view"))
            assert "No webhook deliveries for this thread yet" in empty
            await pilot.click("#prompt")
            await pilot.press(*"Any shields?", "enter")
            await settle(pilot)
            receiver.wait_for(2, "/hook")  # the player's line and the reply
            app.screen.query_one("#side-panel").show_tab("info")
            app.screen.query_one("#side-panel").show_tab("webhooks")
            await settle(pilot)
            shown = text_of(app.screen.query_one("#deliveries-view"))
        rows = client.webhooks.deliveries(thread_id=world.merchant["id"])
    assert len(rows) == 2 and {r["status"] for r in rows} == {"delivered"}
    assert shown.count("thread.message") == 2 and "delivered 200" in shown
