"""Keeping an NPC in character, for whole replies and for streams alike.

:class:`DialogueFilter` takes the reply as it arrives and lets through only what is dialogue:

- the opening (up to the first sentence end) is held back and checked for fourth-wall breaks
  ("as an AI language model…"); a break sets :attr:`DialogueFilter.broken` so that the caller
  can regenerate once before anything was sent;
- a line that starts with another speaker's label (``Player:``, ``Mira:``) ends the reply: the
  NPC never speaks for the player or for another NPC; its own label is dropped;
- a stage direction (``*opens the shop*``, ``[give_quest]``) that names a registered action is
  not read out: it is removed and remembered so the turn can make it an action.

Only the text around an unfinished direction or line label is held back, so a stream still
flows chunk by chunk.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from local_gateway.services.npc.actions import direction_names_action
from local_gateway.services.npc.scenes import is_present
from local_gateway.store.thread_records import ThreadRecord

_BREAK = re.compile(
    r"\b(as an? (ai|a\.i\.|artificial intelligence|chatbot|assistant)|i(?:'m| am) (?:just |only )?an? "
    r"(?:ai|a\.i\.|artificial intelligence|language model|chatbot|virtual assistant|computer program)|"
    r"(?:large )?language model|openai|chatgpt|anthropic|i (?:cannot|can't|can not) (?:role-?play|pretend)|"
    r"i don't have (?:personal )?(?:feelings|opinions|a body|emotions)|my training data|"
    r"this is (?:just )?a (?:video )?game|as a fictional character)\b",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"[.!?…](?=\s)|\n")
_SENTENCES = re.compile(r"[^.!?…\n]*(?:[.!?…]+|\n|$)\s*")
_LABEL = re.compile(r"[ \t]*[*_]*([A-Za-z][\w' .-]{0,38}?)[*_]*[ \t]*:")
_DIRECTION = re.compile(r"\*([^*\n]{1,120})\*|\[([^\]\n]{1,120})\]|\(([^)\n]{1,120})\)")
_CLOSERS = {"*": "*", "[": "]", "(": ")"}
OPENING_LIMIT = 160
LABEL_LIMIT = 40
DIRECTION_LIMIT = 120


def breaks_character(text: str) -> bool:
    return bool(_BREAK.search(text or ""))


def drop_breaking_sentences(text: str) -> str:
    kept = [s for s in _SENTENCES.findall(text) if s and not breaks_character(s)]
    return "".join(kept).strip()


class DialogueFilter:
    def __init__(
        self,
        *,
        own: Iterable[str],
        foreign: Iterable[str],
        actions: Iterable[str],
        check_opening: bool = True,
    ) -> None:
        self.own = {o.lower() for o in own if o}
        self.foreign = {f.lower() for f in foreign if f} - self.own
        self.actions = set(actions)
        self.check_opening = check_opening
        self.broken = False
        self.cut = False
        self.named_actions: list[str] = []
        self._pending = ""
        self._opening_done = False
        self._at_line_start = True
        self._emitted: list[str] = []
        self._started = False
        # A direction was just removed: the spaces that stood around it collapse into one.
        self._squeeze = False

    @property
    def text(self) -> str:
        """Everything let through so far."""
        return "".join(self._emitted)

    def feed(self, chunk: str) -> str:
        if self.cut or self.broken:
            return ""
        self._pending += chunk
        return self._drain(final=False)

    def finish(self) -> str:
        if self.cut or self.broken:
            return ""
        return self._drain(final=True)

    def _drain(self, final: bool) -> str:
        if not self._opening_done:
            match = _SENTENCE_END.search(self._pending)
            if not final and match is None and len(self._pending) < OPENING_LIMIT:
                return ""
            self._opening_done = True
            end = match.end() if match else len(self._pending)
            opening = self._pending[:end]
            if breaks_character(opening):
                if self.check_opening:
                    self.broken = True
                    return ""
                self._pending = drop_breaking_sentences(opening) + " " + self._pending[end:].lstrip()
        end = len(self._pending) if final else self._safe_end(self._pending)
        ready, self._pending = self._pending[:end], self._pending[end:]
        out = self._process(ready)
        if not self._started:
            out = out.lstrip()
            self._started = bool(out)
        elif self._squeeze and out[:1] in (" ", "\t") and self.text[-1:].isspace():
            out = out.lstrip(" \t")
        if out:
            self._squeeze = False
        if final:
            out = out.rstrip()
        if out:
            self._emitted.append(out)
        return out

    def _line_starts(self, buf: str) -> list[int]:
        starts = [0] if self._at_line_start else []
        starts += [i + 1 for i, ch in enumerate(buf) if ch == "\n"]
        return starts

    def _safe_end(self, buf: str) -> int:
        for start in self._line_starts(buf):
            segment = buf[start : start + LABEL_LIMIT]
            unresolved = ":" not in segment and "\n" not in segment and len(segment) < LABEL_LIMIT
            if unresolved and not re.search(r"[.!?,;]", segment):
                # Hold the line break too: if the next line is someone else's, it is not ours.
                return start - 1 if start > 0 and buf[start - 1] == "\n" else start
        i = 0
        while i < len(buf):
            ch = buf[i]
            if ch in _CLOSERS:
                close = buf.find(_CLOSERS[ch], i + 1)
                newline = buf.find("\n", i + 1)
                if close == -1 and newline == -1 and len(buf) - i < DIRECTION_LIMIT:
                    return i
                if close != -1 and (newline == -1 or close < newline):
                    i = close + 1
                    continue
            i += 1
        return len(buf)

    def _process(self, text: str) -> str:
        if not text:
            return ""
        lines = text.split("\n")
        out_lines: list[str] = []
        for n, line in enumerate(lines):
            at_start = self._at_line_start if n == 0 else True
            if at_start:
                label = _LABEL.match(line)
                if label:
                    who = label.group(1).strip().lower()
                    if who in self.foreign:
                        self.cut = True
                        self._pending = ""
                        break
                    if who in self.own:
                        line = line[label.end() :].lstrip()
            out_lines.append(self._strip_directions(line))
        joined = "\n".join(out_lines)
        if not self.cut:
            self._at_line_start = text.endswith("\n")
        return joined

    def _strip_directions(self, line: str) -> str:
        if not self.actions:
            return line

        def replace(match: re.Match[str]) -> str:
            inner = next(g for g in match.groups() if g is not None)
            name = direction_names_action(inner, self.actions)
            if name is None:
                return match.group(0)
            self.named_actions.append(name)
            self._squeeze = True
            return ""

        stripped = _DIRECTION.sub(replace, line)
        if stripped != line:
            stripped = re.sub(r"[ \t]{2,}", " ", stripped)
            stripped = re.sub(r"\s+([,.!?])", r"\1", stripped)
        return stripped


def clean_reply(
    text: str, *, own: Iterable[str], foreign: Iterable[str], actions: Iterable[str]
) -> tuple[str, list[str], bool]:
    """A whole reply through the same filter: (dialogue, actions named in directions, cut?)."""
    filt = DialogueFilter(own=own, foreign=foreign, actions=actions, check_opening=False)
    body = filt.feed(text) + filt.finish()
    return body, filt.named_actions, filt.cut


MAX_STOPS = 4


def scene_stops(
    requested: list[str] | None, thread: ThreadRecord, speaker: str | None, labels: dict[str, str]
) -> list[str] | None:
    """The request's stop sequences plus, in a scene, the other speakers' line labels."""
    stops = list(requested or [])
    if thread.is_group:
        for p in thread.participants or ():
            if p["npc_id"] != speaker and is_present(p) and len(stops) < MAX_STOPS:
                stops.append(f"\n{labels[p['npc_id']]}:")
    return stops or None
