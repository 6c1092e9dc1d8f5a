"""Static completion scripts for bash, zsh and fish, generated from the app's command tree.

Static, so pressing Tab starts no Python: commands, options and fixed values are written into
the script. Profile names (``--profile``, ``profiles use|remove``) are read at Tab time with
``mg profiles list`` (tab-separated when piped), and directories come from the shell.
``completions/`` holds the generated files; a test fails when they fall behind the app.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SHELLS = ("bash", "zsh", "fish")
HEADER = "mg completion for {shell}: generated from the app by `python -m mg.cli.completion`; do not edit."
# Values completed by kind, for options and arguments that take them.
PROFILE_NAMES = "profiles"
DIRECTORIES = "dirs"
FILES = "files"


@dataclass
class Option:
    names: list[str]
    help: str
    takes_value: bool
    values: list[str] | str | None = None  # fixed choices, or a kind above


@dataclass
class Node:
    path: str
    help: str
    commands: dict[str, Node] = field(default_factory=dict)
    options: list[Option] = field(default_factory=list)
    arg_values: list[str] | str | None = None  # what the positional argument completes to


def _kind_for(param: Any) -> list[str] | str | None:
    choices = getattr(param.type, "choices", None)
    if choices:
        return [str(c) for c in choices]
    if param.name in ("profile",):
        return PROFILE_NAMES
    type_name = getattr(param.type, "name", "")
    if param.name in ("directory", "data_dir") or type_name == "directory":
        return DIRECTORIES
    if type_name in ("path", "file"):
        return FILES
    if param.name == "shell":
        return list(SHELLS)
    return None


def _one_line(text: str | None) -> str:
    text = (text or "").strip().split("\n")[0]
    return text.rstrip(".")


def tree(command: Any, path: str = "") -> Node:
    """The completion model of a click command tree."""
    node = Node(path, _one_line(getattr(command, "help", "")))
    for param in command.params:
        if param.param_type_name == "argument":
            if path in ("profiles use", "profiles remove"):
                node.arg_values = PROFILE_NAMES
            continue
        if getattr(param, "hidden", False):
            continue
        takes_value = not getattr(param, "is_flag", False) and not getattr(param, "count", False)
        node.options.append(
            Option(
                [*param.opts, *param.secondary_opts],
                _one_line(getattr(param, "help", "")),
                takes_value,
                _kind_for(param) if takes_value else None,
            )
        )
    node.options.append(Option(["--help", "-h"], "Show the help and exit", False))
    for name in getattr(command, "list_commands", lambda ctx: [])(None):
        sub = command.get_command(None, name)
        if not getattr(sub, "hidden", False):
            node.commands[name] = tree(sub, f"{path} {name}".strip())
    return node


def model(command: Any) -> Node:
    """The tree, plus what ``mg help`` completes to: its topics and the top-level commands."""
    root = tree(command)
    if "help" in root.commands:
        root.commands["help"].arg_values = ["environment", "exit-codes", *root.commands]
    return root


def _walk(node: Node) -> list[Node]:
    out = [node]
    for sub in node.commands.values():
        out.extend(_walk(sub))
    return out


def _q(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def _values_words(values: list[str] | str | None) -> str:
    return " ".join(values) if isinstance(values, list) else ""


def _case(key: str, action: str) -> str:
    return f"        {_q(key)}) {action} ;;"


def _value_call(values: list[str] | str) -> str:
    kind = values if isinstance(values, str) else "words"
    return f"_mg_value {kind} {_q(_values_words(values))}"


def _valued(nodes: list[Node], action: str, indent: str = "        ") -> str:
    """Case lines matching each ``path|option`` that takes a value, one line per command."""
    lines = []
    for n in nodes:
        pairs = [f"{n.path}|{name}" for o in n.options if o.takes_value for name in o.names]
        if pairs:
            lines.append(f"{indent}{'|'.join(_q(p) for p in pairs)}) {action} ;;")
    return "\n".join(lines)


def _value_cases(nodes: list[Node]) -> str:
    return "\n".join(
        _case(f"{n.path}|{name}", _value_call(o.values))
        for n in nodes
        for o in n.options
        if o.takes_value and o.values
        for name in o.names
    )


def _arg_cases(nodes: list[Node]) -> str:
    return "\n".join(_case(n.path, _value_call(n.arg_values)) for n in nodes if n.arg_values)


# --- bash -------------------------------------------------------------------------------------


def bash(root: Node) -> str:
    nodes = _walk(root)
    subcommands = "\n".join(_case(n.path, f"echo {_q(' '.join(n.commands))}") for n in nodes if n.commands)
    options = "\n".join(
        _case(n.path, f"echo {_q(' '.join(name for o in n.options for name in o.names))}") for n in nodes
    )
    profiles = 'COMPREPLY=($(compgen -W "$(command mg profiles list 2>/dev/null | cut -f1)" -- "$cur"))'
    return f"""# {HEADER.format(shell="bash")}
# Install: mg completion install --shell bash   (or: source <(mg completion show --shell bash))

_mg_subcommands() {{
    case "$1" in
{subcommands}
    esac
}}

_mg_options() {{
    case "$1" in
{options}
    esac
}}

_mg_takes_value() {{
    case "$1|$2" in
{_valued(nodes, "return 0")}
    esac
    return 1
}}

_mg_value() {{
    local cur="${{COMP_WORDS[COMP_CWORD]}}"
    case "$1" in
        {PROFILE_NAMES}) {profiles} ;;
        {DIRECTORIES}) COMPREPLY=($(compgen -d -- "$cur")) ;;
        {FILES}) COMPREPLY=($(compgen -f -- "$cur")) ;;
        *) COMPREPLY=($(compgen -W "$2" -- "$cur")) ;;
    esac
}}

_mg_option_values() {{
    case "$1|$2" in
{_value_cases(nodes)}
        *) COMPREPLY=() ;;
    esac
}}

_mg_arguments() {{
    case "$1" in
{_arg_cases(nodes)}
        *) COMPREPLY=() ;;
    esac
}}

_mg() {{
    local cur="${{COMP_WORDS[COMP_CWORD]}}" prev="${{COMP_WORDS[COMP_CWORD-1]}}"
    local cmdpath="" word i expect=0 subs
    for ((i = 1; i < COMP_CWORD; i++)); do
        word="${{COMP_WORDS[i]}}"
        if ((expect)); then expect=0; continue; fi
        if [[ $word == -* ]]; then
            [[ $word != *=* ]] && _mg_takes_value "$cmdpath" "$word" && expect=1
            continue
        fi
        subs=" $(_mg_subcommands "$cmdpath") "
        if [[ $subs == *" $word "* ]]; then cmdpath="${{cmdpath:+$cmdpath }}$word"; fi
    done
    if ((expect)); then
        _mg_option_values "$cmdpath" "$prev"
        return 0
    fi
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$(_mg_options "$cmdpath")" -- "$cur"))
        return 0
    fi
    subs="$(_mg_subcommands "$cmdpath")"
    if [[ -n $subs ]]; then
        COMPREPLY=($(compgen -W "$subs" -- "$cur"))
    else
        _mg_arguments "$cmdpath"
    fi
}}

complete -F _mg mg
"""


# --- zsh --------------------------------------------------------------------------------------


def _zq(name: str, description: str) -> str:
    return _q(name.replace(":", "\\:") + ":" + description)


def zsh(root: Node) -> str:
    nodes = _walk(root)
    subcommands = "\n".join(
        _case(n.path, f"described=({' '.join(_zq(name, sub.help) for name, sub in n.commands.items())})")
        for n in nodes
        if n.commands
    )
    options = "\n".join(
        _case(n.path, f"described=({' '.join(_zq(name, o.help) for o in n.options for name in o.names)})")
        for n in nodes
    )
    profiles = (
        'local -a names; names=(${(f)"$(command mg profiles list 2>/dev/null | cut -f1)"}); compadd -a names'
    )
    return f"""#compdef mg
# {HEADER.format(shell="zsh")}
# Install: mg completion install --shell zsh

_mg_value() {{
    case "$1" in
        {PROFILE_NAMES}) {profiles} ;;
        {DIRECTORIES}) _directories ;;
        {FILES}) _files ;;
        *) local -a words_; words_=(${{=2}}); compadd -a words_ ;;
    esac
}}

_mg() {{
    # cmdpath, not path: in zsh `path` is PATH itself.
    local cmdpath="" word i expect=0 prev="${{words[CURRENT-1]}}" cur="${{words[CURRENT]}}"
    local -a described subs
    for ((i = 2; i < CURRENT; i++)); do
        word="${{words[i]}}"
        if ((expect)); then expect=0; continue; fi
        if [[ $word == -* ]]; then
            if [[ $word != *=* ]]; then
                case "$cmdpath|$word" in
{_valued(nodes, "expect=1", " " * 20)}
                esac
            fi
            continue
        fi
        described=()
        case "$cmdpath" in
{subcommands}
        esac
        subs=(${{described%%:*}})
        if (( ${{subs[(Ie)$word]}} )); then cmdpath="${{cmdpath:+$cmdpath }}$word"; fi
    done
    if ((expect)); then
        case "$cmdpath|$prev" in
{_value_cases(nodes)}
        esac
        return
    fi
    described=()
    if [[ $cur == -* ]]; then
        case "$cmdpath" in
{options}
        esac
        _describe -t options option described
        return
    fi
    case "$cmdpath" in
{subcommands}
    esac
    if (( ${{#described}} )); then
        _describe -t commands command described
        return
    fi
    case "$cmdpath" in
{_arg_cases(nodes)}
    esac
}}

if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
    _mg "$@"
else
    compdef _mg mg
fi
"""


# --- fish -------------------------------------------------------------------------------------


def _fq(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def fish(root: Node) -> str:
    nodes = _walk(root)
    valued = sorted(
        {f"{n.path}|{name}" for n in nodes for o in n.options if o.takes_value for name in o.names}
    )
    subcommand_pairs = sorted({f"{n.path}|{name}" for n in nodes for name in n.commands})
    lines = [
        f"# {HEADER.format(shell='fish')}",
        "# Install: mg completion install --shell fish",
        "",
        "function __mg_path --description 'the mg command path typed so far'",
        "    set -l words (commandline -opc)",
        "    set -e words[1]",
        "    set -l cmdpath ''",
        "    set -l expect 0",
        f"    set -l valued {' '.join(_fq(v) for v in valued)}",
        f"    set -l subcommands {' '.join(_fq(v) for v in subcommand_pairs)}",
        "    for word in $words",
        "        if test $expect -eq 1",
        "            set expect 0",
        "            continue",
        "        end",
        "        if string match -q -- '-*' $word",
        "            if not string match -q -- '*=*' $word; and contains -- \"$cmdpath|$word\" $valued",
        "                set expect 1",
        "            end",
        "            continue",
        "        end",
        '        if contains -- "$cmdpath|$word" $subcommands',
        '            set cmdpath (string trim -- "$cmdpath $word")',
        "        end",
        "    end",
        "    echo $cmdpath",
        "end",
        "",
        "function __mg_at --argument-names want",
        "    set -l cmdpath (__mg_path)",
        '    test "$cmdpath" = "$want"',
        "end",
        "",
        "function __mg_profiles",
        "    command mg profiles list 2>/dev/null | cut -f1",
        "end",
        "",
        "complete -c mg -f",
    ]
    for n in nodes:
        cond = f"__mg_at {_fq(n.path)}"
        for name, sub in n.commands.items():
            lines.append(f"complete -c mg -n {_fq(cond)} -a {_fq(name)} -d {_fq(sub.help)}")
        for o in n.options:
            flags = []
            for name in o.names:
                if name.startswith("--"):
                    flags.append(f"-l {name[2:]}")
                elif len(name) == 2:
                    flags.append(f"-s {name[1:]}")
            extra = ""
            if o.takes_value:
                # -x: takes a value and offers no file names; -r -F: a path.
                extra = " -x"
                if isinstance(o.values, list):
                    extra += f" -a {_fq(' '.join(o.values))}"
                elif o.values == PROFILE_NAMES:
                    extra += " -a '(__mg_profiles)'"
                elif o.values in (DIRECTORIES, FILES):
                    extra = " -r -F"
            lines.append(f"complete -c mg -n {_fq(cond)} {' '.join(flags)}{extra} -d {_fq(o.help)}")
        if n.arg_values == PROFILE_NAMES:
            lines.append(f"complete -c mg -n {_fq(cond)} -a '(__mg_profiles)'")
        elif isinstance(n.arg_values, list):
            lines.append(f"complete -c mg -n {_fq(cond)} -a {_fq(' '.join(n.arg_values))}")
    return "\n".join(lines) + "\n"


GENERATORS = {"bash": bash, "zsh": zsh, "fish": fish}
FILENAMES = {"bash": "mg.bash", "zsh": "_mg", "fish": "mg.fish"}


def generate(shell: str, command: Any | None = None) -> str:
    if command is None:
        from mg.cli.main import click_command

        command = click_command()
    return GENERATORS[shell](model(command))
