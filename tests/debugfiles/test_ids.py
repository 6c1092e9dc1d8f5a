"""Debug-id normalisation and Breakpad symbol names."""

from __future__ import annotations

import pytest

from mg.debugfiles import breakpad_sym_name, debug_id_to_uuid, normalize_debug_id

PDB_KEY = "3249D99D0C4049318610F4E4FB0B69361"
ELF_KEY = "C0BCC3F19827FE653058404B2831D9E60"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        (PDB_KEY, PDB_KEY),
        (PDB_KEY.lower(), PDB_KEY),
        ("3249d99d-0c40-4931-8610-f4e4fb0b6936-1", PDB_KEY),
        ("3249D99D-0C40-4931-8610-F4E4FB0B6936-1", PDB_KEY),
        ("  3249d99d-0c40-4931-8610-f4e4fb0b6936-01\n", PDB_KEY),
        ("c0bcc3f1-9827-fe65-3058-404b2831d9e6", ELF_KEY),
        ("c0bcc3f1-9827-fe65-3058-404b2831d9e6-0", ELF_KEY),
        ("C0BCC3F19827FE653058404B2831D9E6", ELF_KEY),  # plain GUID: age 0
        ("C0BCC3F19827FE653058404B2831D9E600", ELF_KEY),  # leading zeros in the age collapse
        ("A62592418D7807494C4C44205044422E1A", "A62592418D7807494C4C44205044422E1A"),  # age 0x1a
        ("a6259241-8d78-0749-4c4c-44205044422e-ffffffff", "A62592418D7807494C4C44205044422EFFFFFFFF"),
    ],
)
def test_accepted_forms(text: str, key: str) -> None:
    assert normalize_debug_id(text) == key
    assert normalize_debug_id(debug_id_to_uuid(text)) == key
    assert normalize_debug_id(key) == key


def test_uuid_form() -> None:
    assert debug_id_to_uuid(PDB_KEY) == "3249d99d-0c40-4931-8610-f4e4fb0b6936-1"
    assert debug_id_to_uuid(ELF_KEY) == "c0bcc3f1-9827-fe65-3058-404b2831d9e6"
    assert debug_id_to_uuid("A62592418D7807494C4C44205044422E1A").endswith("-1a")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "crash.pdb",
        "3249D99D0C4049318610F4E4FB0B6936"[:31],  # 31 hex digits
        PDB_KEY + "123456789",  # age longer than 32 bits
        "3249D99D0C4049318610F4E4FB0B6936-1",  # dashes only before the age
        "3249d99d-0c40-4931-8610f4e4fb0b6936-1",
        "3249d99d-0c40-4931-8610-f4e4fb0b6936-",
        "{3249d99d-0c40-4931-8610-f4e4fb0b6936}",
        "3249G99D0C4049318610F4E4FB0B69361",
    ],
)
def test_rejected_forms(text: str) -> None:
    with pytest.raises(ValueError, match="not a debug id"):
        normalize_debug_id(text)


def test_non_string_is_rejected() -> None:
    with pytest.raises(ValueError, match="a debug id is a string"):
        normalize_debug_id(0x3249)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("debug_file", "sym"),
    [
        ("crash.pdb", "crash.sym"),
        ("CRASH.PDB", "CRASH.sym"),
        ("crash", "crash.sym"),
        ("libgame.so", "libgame.so.sym"),
        ("Game.app.dSYM", "Game.app.dSYM.sym"),
        (r"C:\build\out\game.pdb", "game.sym"),
        ("/build/out/libgame.so", "libgame.so.sym"),
    ],
)
def test_breakpad_sym_name(debug_file: str, sym: str) -> None:
    assert breakpad_sym_name(debug_file) == sym
