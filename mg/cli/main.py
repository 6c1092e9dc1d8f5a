"""``mg``: the command line. Builds the app from the group modules and runs it.

Start-up is part of the interface: ``mg --help`` must stay fast, so this module and every group
module import only typer and the standard library at module level; httpx, keyring, rich's
renderers, prompt_toolkit and the gateway are imported inside the commands that use them.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import typer

from mg import __version__
from mg.cli import _session
from mg.cli._app import SETTINGS, ApiKeyOption, BaseUrlOption, NoRetryOption, ProfileOption, lazy_group
from mg.cli._errors import EXIT_INTERRUPTED, report

HELP = """mg: talk to NPCs, run the local gateway and script the API from your terminal.

\b
Quick start (offline, no account):
  mg chat --local --template merchant --npc blacksmith_01

\b
Every command takes --profile, --api-key, --base-url and --no-retry, and
most take --json. Exit codes: `mg help exit-codes`; variables: `mg help environment`.
"""


def _version(value: bool) -> None:
    if value:
        typer.echo(f"mg {__version__}")
        raise typer.Exit()


def root(
    ctx: typer.Context,
    profile: ProfileOption = None,
    api_key: ApiKeyOption = None,
    base_url: BaseUrlOption = None,
    no_retry: NoRetryOption = False,
    version: bool = typer.Option(
        False, "--version", "-V", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    _session.set_root_options(_session.GlobalOptions(profile, api_key, base_url, no_retry))
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())
        raise typer.Exit()


# name -> (module, attribute, summary): loaded only when used, so `mg chat` never imports the
# gateway group and `mg --help` imports no group at all.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "chat": ("mg.cli.chat", "chat", "Talk to a model or an NPC: a conversation, or one prompt."),
    "threads": (
        "mg.cli.threads",
        "app",
        "Manage NPC threads: memory, game state, actions, batch population and export.",
    ),
    "npc": (
        "mg.cli.npc",
        "app",
        "NPC templates: ready-made personalities with actions and a response style.",
    ),
    "models": ("mg.cli.models", "app", "List models: those your key can use, and the public catalog."),
    "login": (
        "mg.cli.auth",
        "auth_login",
        "Store an API key for a profile (checked with the gateway first).",
    ),
    "logout": (
        "mg.cli.auth",
        "auth_logout",
        "Remove the stored key of a profile (the profile itself stays).",
    ),
    "whoami": ("mg.cli.auth", "auth_whoami", "Show who the current key belongs to, its tier and limits."),
    "keys": ("mg.cli.keys", "app", "API keys: list, create, rotate, revoke, and their health."),
    "tokens": (
        "mg.cli.keys",
        "tokens_app",
        "Personal access tokens (mg_pat_…): act as your account, e.g. in CI.",
    ),
    "credits": (
        "mg.cli.billing",
        "credits_show",
        "Show the credit balance, what was spent today and this month, and credit that expires.",
    ),
    "usage": (
        "mg.cli.billing",
        "usage_show",
        "Show usage per day as a bar chart, per model, and where the month is heading.",
    ),
    "logs": (
        "mg.cli.billing",
        "logs_list",
        "Show the per-request log: model, tokens, cost, latency, status; newest first.",
    ),
    "billing": ("mg.cli.billing", "app", "Your spend caps, and buying credit or a tier (Stripe)."),
    "tiers": (
        "mg.cli.billing",
        "tiers_list",
        "Show the tiers: monthly price, discount, requests per minute, daily cap, seats.",
    ),
    "pricing": (
        "mg.cli.billing",
        "pricing_list",
        "Show every model's list price per million tokens (before your tier's discount).",
    ),
    "cost": (
        "mg.cli.billing",
        "cost_estimate",
        "Estimate what a request costs: list price, and with your tier's discount when logged in.",
    ),
    "profiles": ("mg.cli.profiles", "app", "Manage profiles: named gateways, each with its own key."),
    "symbols": ("mg.cli.symbols", "app", "Upload debug symbols from a build; list, look up or remove them."),
    "crashes": (
        "mg.cli.crashes",
        "app",
        "Crash reports: list, show stacks, trends, stats, triage and AI analysis.",
    ),
    "debug": ("mg.cli.debug", "app", "Debug sessions for DAP integrations."),
    "webhooks": (
        "mg.cli.webhooks",
        "app",
        "Webhooks: register endpoints, see deliveries, listen for events locally.",
    ),
    "gateway": ("mg.cli.gateway", "app", "Run the local gateway (offline, sandbox models) and operate it."),
    "tui": (
        "mg.cli.tui",
        "tui",
        "Open the terminal UI: NPC dialogue explorer, crash triage, keys and usage.",
    ),
    "completion": ("mg.cli.completion", "app", "Shell completion for bash, zsh and fish."),
    "help": ("mg.cli.help", "help_topic", "Help topics, or the help of a command."),
}


def build_app() -> typer.Typer:
    app = typer.Typer(
        name="mg",
        help=HELP,
        cls=lazy_group(COMMANDS),
        rich_markup_mode=None,
        add_completion=False,
        pretty_exceptions_enable=False,
        context_settings=SETTINGS,
    )
    app.callback(invoke_without_command=True)(root)
    return app


def click_command() -> Any:
    """The click command tree of the app (for completions and `mg help COMMAND`)."""
    return typer.main.get_command(build_app())


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``mg`` with ``argv``; the exit code (see ``mg help exit-codes``)."""
    _session.set_root_options(_session.GlobalOptions())
    command = typer.main.get_command(build_app())
    try:
        command.main(args=list(argv) if argv is not None else None, prog_name="mg", standalone_mode=True)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except KeyboardInterrupt:
        sys.stderr.write("\n")
        return EXIT_INTERRUPTED
    except Exception as exc:
        return report(exc)
    return 0


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
