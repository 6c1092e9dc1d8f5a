"""``mg models``: the models your key can use, and the public catalog."""

from __future__ import annotations

from typing import Any

from mg.cli._app import JsonOption, Session, command, new_group

app = new_group("List models: those your key can use, and the public catalog.")


@app.command("list")
@command
def models_list(session: Session, json_: JsonOption = False) -> None:
    """List the models your key's tier can use.

    \b
    Examples:
      mg models list
      mg models list --json | jq -r '.[].id'
    """
    from mg.cli import _output

    with session.client() as client:
        models = client.models.list()
    if json_:
        _output.print_json([m.to_dict() for m in models])
        return
    _output.print_table(["model", "provider"], [[m.id, m.owned_by] for m in models])


def _price(value: Any) -> str:
    return "" if value is None else f"${value:g}"


@app.command("catalog")
@command
def models_catalog(session: Session, json_: JsonOption = False) -> None:
    """Show every model with its provider, minimum tier, context and price.

    Public: needs no key. Prices are per million tokens, in USD.

    \b
    Examples:
      mg models catalog
      mg models catalog --json | jq '.[] | select(.tier_minimum == "free") | .id'
    """
    from mg.cli import _output

    with session.client(need_key=False) as client:
        catalog = client.models.catalog()
    data = catalog.get("data", [])
    if json_:
        _output.print_json(data)
        return
    _output.print_table(
        ["model", "provider", "kind", "min tier", "context", "input/1M", "output/1M"],
        [
            [
                m.get("id"),
                m.get("owned_by"),
                m.get("kind", "chat"),
                m.get("tier_minimum"),
                f"{m['context_window']:,}" if isinstance(m.get("context_window"), int) else "",
                _price((m.get("pricing") or {}).get("input_per_1m")),
                _price((m.get("pricing") or {}).get("output_per_1m")),
            ]
            for m in data
        ],
    )
