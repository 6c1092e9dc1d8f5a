"""``mg completion``: shell completion scripts for bash, zsh and fish.

``python -m mg.cli.completion [DIR]`` regenerates the scripts in ``completions/``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from mg.cli._app import JsonOption, command, new_group
from mg.cli._errors import UsageError

app = new_group("Shell completion for bash, zsh and fish.", default="show")

ShellOption = Annotated[
    str | None,
    typer.Option(
        "--shell", metavar="bash|zsh|fish", help="Shell [default: from $SHELL].", show_default=False
    ),
]


def _shell(given: str | None) -> str:
    from mg.cli._completion_scripts import SHELLS

    shell = given or Path(os.environ.get("SHELL", "")).name
    if shell not in SHELLS:
        raise UsageError(
            f"Cannot tell which shell to complete for ({shell or 'SHELL is not set'}).",
            "Name it: --shell bash, --shell zsh or --shell fish.",
        )
    return shell


def install_target(shell: str) -> tuple[Path, str | None]:
    """Where a shell loads completions from by itself, and what else the user must do, if anything."""
    home = Path.home()
    data = Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share")
    config = Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config")
    if shell == "bash":
        return data / "bash-completion" / "completions" / "mg", None
    if shell == "fish":
        return config / "fish" / "completions" / "mg.fish", None
    return home / ".zfunc" / "_mg", (
        "Make sure ~/.zshrc has, before compinit:  fpath=(~/.zfunc $fpath); autoload -Uz compinit && compinit"
    )


@app.command("show")
@command
def completion_show(shell: ShellOption = None) -> None:
    """Print the completion script for a shell.

    \b
    Examples:
      mg completion show --shell bash > ~/.local/share/bash-completion/completions/mg
      source <(mg completion show --shell bash)
      mg completion show --shell fish | source
    """
    from mg.cli._completion_scripts import generate

    sys.stdout.write(generate(_shell(shell)))


@app.command("install")
@command
def completion_install(shell: ShellOption = None, json_: JsonOption = False) -> None:
    """Install the completion script where the shell finds it.

    bash: ~/.local/share/bash-completion/completions/mg (needs bash-completion);
    zsh: ~/.zfunc/_mg (with ~/.zfunc in fpath); fish: ~/.config/fish/completions.
    Open a new shell afterwards.

    \b
    Examples:
      mg completion install
      mg completion install --shell zsh
    """
    from mg.cli import _output
    from mg.cli._completion_scripts import generate

    name = _shell(shell)
    target, next_step = install_target(name)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(generate(name), encoding="utf-8")
    if json_:
        _output.print_json({"shell": name, "path": str(target), "next_step": next_step})
        return
    _output.success(f"Installed {name} completion: {target}")
    if next_step:
        _output.info(next_step)
    _output.info("Open a new shell to use it.")


def write_all(directory: Path) -> list[Path]:
    """Regenerate every shell's script in ``directory`` (the repository's ``completions/``)."""
    from mg.cli._completion_scripts import FILENAMES, SHELLS, generate
    from mg.cli.main import click_command

    tree = click_command()
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for shell in SHELLS:
        path = directory / FILENAMES[shell]
        path.write_text(generate(shell, tree), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for written_path in write_all(Path(sys.argv[1] if len(sys.argv) > 1 else "completions")):
        print(written_path)
