"""Profiles, precedence and where keys are kept (keyring through test backends)."""

from __future__ import annotations

import stat
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail
from keyrings.alt.file import PlaintextKeyring

from mg import config
from mg.config import (
    Config,
    CredentialsError,
    ProfileNotFoundError,
    resolve,
    save_local_profile_key,
    store_key,
)
from tests.support.slow_keyring import StuckKeyring

KEY = "mg_test_" + "a" * 32
OTHER = "mg_test_" + "b" * 32


@pytest.fixture(autouse=True)
def test_keyring(clean_environ: Path) -> PlaintextKeyring:
    backend = PlaintextKeyring()  # a fresh one: its file lives under this test's temp home
    keyring.set_keyring(backend)
    return backend


def test_config_lives_in_the_platform_config_dir_unless_overridden(
    clean_environ: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert config.config_dir() == clean_environ / ".config" / "mg"
    monkeypatch.setenv("MG_CONFIG_DIR", str(tmp_path / "cfg"))
    assert config.config_dir() == tmp_path / "cfg"


def test_first_gateway_start_creates_the_local_profile(test_keyring: PlaintextKeyring) -> None:
    assert save_local_profile_key(KEY, base_url="http://127.0.0.1:9999/") == "keyring"
    cfg = Config.load()
    assert cfg.default_profile == "local"
    assert cfg.profiles["local"].base_url == "http://127.0.0.1:9999"
    assert test_keyring.get_password("mg", "local") == KEY
    resolved = resolve()
    assert (resolved.profile, resolved.base_url, resolved.api_key, resolved.key_source) == (
        "local",
        "http://127.0.0.1:9999",
        KEY,
        "keyring",
    )


def test_a_later_first_start_updates_local_but_keeps_another_default() -> None:
    store_key("prod", OTHER, base_url="https://api.example.test")
    save_local_profile_key(KEY, base_url="http://127.0.0.1:8000")
    save_local_profile_key(KEY, base_url="http://127.0.0.1:8001")
    cfg = Config.load()
    assert cfg.default_profile == "prod"
    assert cfg.profiles["local"].base_url == "http://127.0.0.1:8001"


def test_precedence_flag_then_env_then_config(monkeypatch: pytest.MonkeyPatch) -> None:
    store_key("prod", OTHER, base_url="https://api.example.test")
    save_local_profile_key(KEY, base_url="http://127.0.0.1:8000")
    assert resolve().profile == "prod", "the first stored profile became the default"
    monkeypatch.setenv("MG_PROFILE", "local")
    assert resolve().api_key == KEY
    assert resolve("prod").api_key == OTHER, "--profile beats MG_PROFILE"
    monkeypatch.setenv("MG_BASE_URL", "http://env.test")
    assert resolve().base_url == "http://env.test"
    assert resolve(base_url="http://flag.test").base_url == "http://flag.test"
    monkeypatch.setenv("MG_API_KEY", "mg_test_env")
    assert (resolve().api_key, resolve().key_source) == ("mg_test_env", "env")
    assert (resolve(api_key="mg_test_flag").api_key, resolve(api_key="mg_test_flag").key_source) == (
        "mg_test_flag",
        "flag",
    )


def test_an_env_key_never_touches_the_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    save_local_profile_key(KEY, base_url="http://127.0.0.1:8000")

    def refuse(*args: object) -> None:
        raise AssertionError("the keyring was asked although MG_API_KEY is set")

    monkeypatch.setattr("mg._credentials._keyring_call", refuse)
    monkeypatch.setenv("MG_API_KEY", "mg_test_env")
    assert resolve().api_key == "mg_test_env"


def test_unknown_profile_is_an_error() -> None:
    with pytest.raises(ProfileNotFoundError):
        resolve("nope")


def test_without_a_keyring_backend_keys_go_to_a_private_file(clean_environ: Path) -> None:
    keyring.set_keyring(fail.Keyring())
    assert save_local_profile_key(KEY, base_url="http://127.0.0.1:8000") == "file"
    path = config.config_dir() / "credentials.toml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert KEY in path.read_text()
    assert Config.load().profiles["local"].credential == "file"
    resolved = resolve()
    assert (resolved.api_key, resolved.key_source) == (KEY, "file")


def test_a_stuck_keyring_times_out_instead_of_hanging(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MG_KEYRING_TIMEOUT", "0.2")
    store_key("prod", OTHER, base_url="https://api.example.test")
    keyring.set_keyring(StuckKeyring())
    with pytest.raises(CredentialsError, match=r"did not answer within 0\.2 s"):
        resolve("prod")
    # Storing falls back to the private file rather than waiting.
    assert save_local_profile_key(KEY, base_url="http://127.0.0.1:8000") == "file"
    assert resolve("local").api_key == KEY, "a key known to be in the file is read without the keyring"


def test_logout_forgets_the_key_everywhere(test_keyring: PlaintextKeyring) -> None:
    store_key("prod", OTHER, base_url="https://api.example.test")
    assert config.forget_key("prod") is True
    assert test_keyring.get_password("mg", "prod") is None
    assert resolve("prod").api_key is None
    assert config.forget_key("prod") is False


def test_key_format_is_checked() -> None:
    assert config.check_key_format(f"  {KEY}\n") == KEY
    with pytest.raises(config.ConfigError):
        config.check_key_format("sk-not-ours")


def test_a_not_recommended_backend_is_passed_over_unless_chosen(monkeypatch: pytest.MonkeyPatch) -> None:
    # keyrings.alt's plaintext file (priority 0.5) is used only when named in PYTHON_KEYRING_BACKEND.
    assert save_local_profile_key(KEY, base_url="http://127.0.0.1:8000") == "keyring"
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND")
    assert save_local_profile_key(OTHER, base_url="http://127.0.0.1:8000") == "file"
    assert resolve("local").api_key == OTHER
