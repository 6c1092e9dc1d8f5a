"""Configuration: flag > MG_* environment > TOML file > default, and the serve flags."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from local_gateway.settings import ENVIRONMENT, Settings, default_cache_dir, default_data_dir
from tests.support.gateway_process import GatewayProcess, gateway_env


def test_flag_beats_env_beats_file_beats_default(tmp_path: Path) -> None:
    (tmp_path / "gateway.toml").write_text('port = 1111\nhost = "0.0.0.0"\nupstream_timeout = 9\n')
    env = {"MG_DATA_DIR": str(tmp_path), "MG_PORT": "2222", "MG_UPSTREAM_TIMEOUT": ""}
    assert Settings.load(env, port=3333).port == 3333
    from_env = Settings.load(env)
    assert from_env.port == 2222
    assert from_env.host == "0.0.0.0" and from_env.upstream_timeout == 9.0, "an empty variable is unset"
    assert from_env.test_key_rpm == 5 and from_env.redis_url is None
    assert Settings.load({"MG_DATA_DIR": str(tmp_path)}).port == 1111
    assert Settings.load({"MG_DATA_DIR": str(tmp_path / "elsewhere")}).port == 8787


def test_config_file_from_mg_config_and_typed_values(tmp_path: Path) -> None:
    config = tmp_path / "custom.toml"
    config.write_text('access_log = false\nredis_url = "redis://r:6379/2"\nmodels_file = "~/m.json"\n')
    env = {"MG_DATA_DIR": str(tmp_path / "data"), "MG_CONFIG": str(config), "MG_SANDBOX_CHUNK_DELAY": "0.5"}
    settings = Settings.load(env)
    assert settings.access_log is False and settings.redis_url == "redis://r:6379/2"
    assert settings.models_file == Path("~/m.json").expanduser() and settings.sandbox_chunk_delay == 0.5
    assert Settings.load({**env, "MG_ACCESS_LOG": "1"}).access_log is True
    assert settings.db_url == f"sqlite:///{tmp_path / 'data' / 'gateway.db'}"


@pytest.mark.parametrize(
    ("env", "message"),
    [({"MG_PORT": "eighty"}, "setting port"), ({"MG_SHUTDOWN_TIMEOUT": "soon"}, "setting shutdown_timeout")],
)
def test_bad_values_name_the_setting(tmp_path: Path, env: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Settings.load({"MG_DATA_DIR": str(tmp_path), **env})


def test_unknown_file_setting_is_refused(tmp_path: Path) -> None:
    (tmp_path / "gateway.toml").write_text("prot = 1\n")
    with pytest.raises(ValueError, match=r"unknown setting.*prot"):
        Settings.load({"MG_DATA_DIR": str(tmp_path)})


def test_cache_dir_defaults_to_the_user_cache_dir_and_follows_mg_cache_dir(tmp_path: Path) -> None:
    # Rebuildable files (Monster-GPT's embedded discipline texts) stay out of the data dir.
    default = Settings.load({"MG_DATA_DIR": str(tmp_path)})
    assert default.cache_dir == default_cache_dir() and default.cache_dir.name == "mg"
    assert default.cache_dir != default.data_dir
    moved = Settings.load({"MG_DATA_DIR": str(tmp_path), "MG_CACHE_DIR": str(tmp_path / "c")})
    assert moved.cache_dir == tmp_path / "c"


def test_every_setting_is_documented() -> None:
    documented = set(ENVIRONMENT)
    for name in Settings.__dataclass_fields__:
        if name in ("environ", "data_dir", "database_url", "bootstrap", "save_bootstrap_key"):
            continue
        if name in ("completion_body_limit", "embedding_body_limit", "log_flush_interval"):
            continue  # tuning that the spec fixes; settable, not advertised
        assert f"MG_{name.upper()}" in documented, name
    assert default_data_dir().name == "mg"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_flags_win_over_env_and_file(tmp_path: Path) -> None:
    flag_port, env_port = _free_port(), _free_port()
    (tmp_path / "gateway.toml").write_text(f'port = {_free_port()}\nhost = "localhost"\n')
    env = gateway_env(tmp_path, None, {"MG_PORT": str(env_port), "MG_HOST": "0.0.0.0"})
    gw = GatewayProcess(tmp_path, env, serve_args=["--host", "127.0.0.1", "--port", str(flag_port)])
    try:
        gw.start()
        assert gw.url == f"http://127.0.0.1:{flag_port}"
        with gw.client() as client:
            assert client.get("/v1/version").status_code == 200
        # The operator CLI works on the same data dir as the running gateway.
        key = gw.admin("create-key", "--email", "ops@example.com", "--tier", "pro")
        assert key["api_key"].startswith("mg_test_") and key["tier"] == "pro"
        with gw.client(key["api_key"]) as client:
            assert client.get("/v1/whoami").json()["email"] == "ops@example.com"
    finally:
        assert gw.stop() == 0


def test_bad_setting_stops_serve_with_a_message(tmp_path: Path) -> None:
    env = gateway_env(tmp_path, None, {"MG_PORT": "eighty"})
    out = subprocess.run(
        [sys.executable, "-m", "local_gateway", "serve"], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 2 and "setting port" in out.stderr and "Traceback" not in out.stderr
