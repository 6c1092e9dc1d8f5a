"""Every environment variable the CLI and SDK read (the gateway's are in its settings)."""

from __future__ import annotations

CLI_ENVIRONMENT: dict[str, str] = {
    "MG_API_KEY": "API key; wins over stored keys, and the OS keyring is then not touched at all",
    "MG_BASE_URL": "gateway URL, e.g. http://127.0.0.1:8787 or https://api.monstergaming.ai",
    "MG_PROFILE": "profile to use (default: default_profile in the config, else 'local')",
    "MG_CONFIG_DIR": "directory of config.toml and credentials.toml (default: the user config dir)",
    "MG_STATE_DIR": "directory of the chat history (default: the user state dir)",
    "MG_MODEL": "default model of mg chat (default: the profile's model, else deepseek-chat)",
    "MG_MAX_RETRIES": "retries of retryable errors, with backoff (default 3; 0 turns them off)",
    "MG_TIMEOUT": "seconds to wait for the gateway (default 60)",
    "MG_KEYRING_TIMEOUT": "seconds to wait for the OS keyring before giving up (default 5)",
    "MG_DEBUG": "1 to print the traceback of an unexpected error",
}

OTHER_ENVIRONMENT: dict[str, str] = {
    "NO_COLOR": "any value: no colour, spinners or live redraws (also when output is not a terminal)",
    "TERM": "dumb: same as NO_COLOR",
    "PYTHON_KEYRING_BACKEND": "keyring backend class to use, e.g. keyrings.alt.file.PlaintextKeyring",
}
