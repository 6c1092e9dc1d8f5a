"""PII from the fixtures' module paths never appears in a processed result."""

from __future__ import annotations

import json

import pytest

from local_gateway.services.debug.crash import ProcessedCrash, scrub_metadata, scrub_path, scrub_text
from local_gateway.services.debug.crash.dump import parse_minidump
from tests.services.crash import VALID, dump

# User names in the fixtures' raw module and source paths (read from the dumps themselves below).
NAMES = ["travis", "ted", "zequanwu"]


def test_the_fixtures_really_contain_user_names() -> None:
    raw_paths = [m.code_file for name in VALID for m in parse_minidump(dump(name)).modules]
    for user in NAMES:
        assert any(f"/{user}/" in p for p in raw_paths), user


@pytest.mark.parametrize("name", VALID)
def test_no_user_name_in_the_answer(processed: dict[str, ProcessedCrash], name: str) -> None:
    text = json.dumps(processed[name].to_dict())
    for user in NAMES:
        assert f"/{user}/" not in text and f'/{user}"' not in text and f"\\\\{user}\\\\" not in text


def test_paths() -> None:
    assert scrub_path("/Users/travis/build/crash") == "/Users/<user>/build/crash"
    assert scrub_path("/Users/Shared/game/crash") == "/Users/Shared/game/crash"
    assert scrub_path("/usr/local/google/home/zequanwu/src/x") == "/usr/local/google/home/<user>/src/x"
    assert scrub_path("/home/ted/game") == "/home/<user>/game"
    assert scrub_path("C:\\Users\\Ada Lovelace\\AppData\\game.dll") == "C:\\Users\\<user>\\AppData\\game.dll"
    assert scrub_path("d:/Users/ada/x.pdb") == "d:/Users/<user>/x.pdb"
    assert scrub_path("C:\\Documents and Settings\\ada\\x") == "C:\\Documents and Settings\\<user>\\x"
    assert scrub_path("C:\\Windows\\System32\\ntdll.dll") == "C:\\Windows\\System32\\ntdll.dll"


def test_free_text() -> None:
    assert scrub_text("player ada@example.com on 192.168.1.20") == "player <email> on <ip>"
    assert scrub_text("server [2001:db8::8a2e:370:7334] up") == "server [<ip>] up"
    assert scrub_text("build 5.1.2600.2180 at 12:34:56") == "build 5.1.2600.2180 at 12:34:56"
    assert scrub_metadata({"user": "ada@example.com", "level": 3, "path": "/home/ada/save"}) == {
        "user": "<email>",
        "level": 3,
        "path": "/home/<user>/save",
    }
