"""The centre of the dialogue explorer: who said what, the reply streaming in, action cards."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from tui.widgets.action_card import ActionCard


class MessageView(Vertical):
    """One line of the conversation: the speaker's name over the words, as markdown."""

    def __init__(self, speaker: str, content: str, role: str) -> None:
        super().__init__(classes=f"message -{role}")
        self.speaker = speaker
        self.content = content

    def compose(self) -> ComposeResult:
        from textual.widgets import Markdown  # markdown-it is imported after the first paint

        yield Static(self.speaker, classes="speaker", markup=False)
        yield Markdown(self.content, classes="words")

    def set_speaker(self, speaker: str) -> None:
        self.speaker = speaker
        self.query_one(".speaker", Static).update(speaker)


class ReplyView(MessageView):
    """The NPC's reply while it streams: words are appended as they arrive."""

    def __init__(self, speaker: str) -> None:
        super().__init__(speaker, "", "assistant")
        self.add_class("-streaming")
        self._stream: Any = None
        self.cards: dict[int, ActionCard] = {}

    async def append(self, text: str) -> None:
        if self._stream is None:
            from textual.widgets import Markdown

            self._stream = Markdown.get_stream(self.query_one(Markdown))
        self.content += text
        await self._stream.write(text)

    async def finish(self) -> None:
        if self._stream is not None:
            await self._stream.stop()
        self.remove_class("-streaming")


class Conversation(VerticalScroll):
    """The messages of one thread, oldest first; keeps the newest in view."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, can_focus=True)
        self.names: dict[str, str] = {}
        self.player = "player"

    def speaker_of(self, message: dict[str, Any]) -> str:
        role = message.get("role")
        name = message.get("name")
        if role == "user":
            return f"{name or self.player}"
        if role == "assistant":
            return self.names.get(str(name), str(name or "NPC"))
        if role == "tool":
            return "action result"
        return str(role or "")

    async def show(self, messages: list[dict[str, Any]], *, empty: str = "") -> None:
        """Replace what is shown with ``messages`` (the thread's stored history)."""
        await self.remove_children()
        widgets: list[Any] = []
        for message in messages:
            role = str(message.get("role") or "assistant")
            if message.get("content") or role != "assistant":
                widgets.append(MessageView(self.speaker_of(message), message.get("content") or "", role))
            for call in message.get("tool_calls") or ():
                fn = call.get("function") or {}
                widgets.append(ActionCard(fn.get("name", ""), fn.get("arguments", "")))
        if not widgets and empty:
            widgets.append(Static(empty, classes="empty", markup=False))
        await self.mount_all(widgets)
        self.anchor()

    async def add_message(self, speaker: str, content: str, role: str = "user") -> MessageView:
        await self.query(".empty").remove()
        view = MessageView(speaker, content, role)
        await self.mount(view)
        self.anchor()
        return view

    async def begin_reply(self, speaker: str) -> ReplyView:
        await self.query(".empty").remove()
        reply = ReplyView(speaker)
        await self.mount(reply)
        self.anchor()
        return reply

    async def show_call(self, reply: ReplyView, index: int, name: str, arguments: str) -> None:
        """Show (or grow) the card of the reply's ``index``-th action call as it streams in."""
        card = reply.cards.get(index)
        if card is None:
            card = reply.cards[index] = ActionCard(name, arguments)
            await self.mount(card)
        else:
            card.set_call(name, arguments)
        self.anchor()

    async def stream_reply(self, stream: Any, view: ReplyView) -> None:
        """Show a streamed reply as it arrives: words into ``view``, each action call as a card."""
        calls: dict[int, dict[str, str]] = {}
        async with stream:
            async for chunk in stream:
                npc_id = chunk.raw.get("npc_id")
                if npc_id and view.speaker == "…":
                    view.set_speaker(self.names.get(npc_id, npc_id))
                if chunk.text:
                    await view.append(chunk.text)
                for delta in (chunk.choices[0].delta.tool_calls or []) if chunk.choices else []:
                    index = int(delta.get("index", 0))
                    call = calls.setdefault(index, {"name": "", "arguments": ""})
                    fn = delta.get("function") or {}
                    call["name"] += fn.get("name") or ""
                    call["arguments"] += fn.get("arguments") or ""
                    await self.show_call(view, index, call["name"], call["arguments"])
