"""``mg webhooks``: register endpoints, read the delivery log, and listen locally.

``mg webhooks listen`` is ``stripe listen`` for the mg gateway: it registers a temporary
endpoint that points at this terminal, prints every event as it arrives (signature checked),
optionally forwards it to your game server, and removes the endpoint when you stop it.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from mg.cli._app import JsonOption, Session, command, new_group

app = new_group("Webhooks: register endpoints, see deliveries, listen for events locally.")

IdArgument = Annotated[str, typer.Argument(metavar="ID", help="Webhook id (whk_…).", show_default=False)]
EventsOption = Annotated[
    list[str] | None,
    typer.Option(
        "--events",
        "-e",
        metavar="EVENT",
        help="Event to subscribe to (repeat, or comma-separate); '*' for all.",
        show_default=False,
    ),
]


def _events(raw: list[str] | None, default: list[str] | None = None) -> list[str] | None:
    if not raw:
        return default
    return [e.strip() for item in raw for e in item.split(",") if e.strip()]


def _row(hook: dict[str, Any]) -> list[Any]:
    status = hook["status"] + (f" ({hook['disabled_reason']})" if hook.get("disabled_reason") else "")
    return [hook["id"], hook["url"], ", ".join(hook["events"]), status, hook["created_at"]]


@app.command("list")
@command
def webhooks_list(session: Session, json_: JsonOption = False) -> None:
    """List your webhook endpoints, with why any is disabled.

    \b
    Examples:
      mg webhooks
      mg webhooks list --json | jq -r '.[].url'
    """
    from mg.cli import _output

    with session.client() as client:
        hooks = client.request("GET", "/v1/webhooks")["data"]
    if json_:
        _output.print_json(hooks)
    elif not hooks:
        _output.note("No webhooks yet. Add one: mg webhooks add https://game.example/hooks --events '*'")
    else:
        _output.print_table(["id", "url", "events", "status", "created"], [_row(h) for h in hooks])


@app.command("add")
@command
def webhooks_add(
    session: Session,
    url: Annotated[str, typer.Argument(metavar="URL", help="Where events are POSTed.", show_default=False)],
    events: EventsOption = None,
    description: Annotated[str, typer.Option("--description", "-d", help="A note for yourself.")] = "",
    json_: JsonOption = False,
) -> None:
    """Register an endpoint; prints its signing secret (shown this once).

    \b
    Examples:
      mg webhooks add https://game.example/hooks --events thread.message --events thread.action
      mg webhooks add http://localhost:8080/hooks -e '*'     # test keys may use localhost
    """
    from mg.cli import _output

    body = {"url": url, "events": _events(events, ["*"]), "description": description}
    with session.client() as client:
        hook = client.request("POST", "/v1/webhooks", json=body)
    if json_:
        _output.print_json(hook)
        return
    _output.success(f"Added {hook['id']} → {hook['url']} ({', '.join(hook['events'])})")
    print(f"Signing secret (shown once; keep it with your receiver): {hook['secret']}")


@app.command("show")
@command
def webhooks_show(session: Session, webhook_id: IdArgument, json_: JsonOption = False) -> None:
    """Show one endpoint and its latest deliveries.

    \b
    Example:
      mg webhooks show whk_3k9x
    """
    from mg.cli import _output

    with session.client() as client:
        hook = client.request("GET", f"/v1/webhooks/{webhook_id}")
        recent = client.request(
            "GET", "/v1/webhooks/deliveries", params={"webhook_id": webhook_id, "limit": 10}
        )
    if json_:
        _output.print_json({**hook, "recent_deliveries": recent["data"]})
        return
    for key in ("id", "url", "events", "status", "disabled_reason", "description", "environment",
                "created_at", "failing_since", "previous_secret_expires_at"):  # fmt: skip
        value = hook.get(key)
        if value not in (None, "", []):
            print(f"{key:>27}: {', '.join(value) if isinstance(value, list) else value}")
    if recent["data"]:
        print()
        _deliveries_table(recent["data"])


def _deliveries_table(rows: list[dict[str, Any]]) -> None:
    from mg.cli import _output

    _output.print_table(
        ["id", "event", "status", "attempts", "last", "next attempt", "created"],
        [
            [d["id"], d["event"], d["status"], d["attempts"],
             d["last_status_code"] or d["last_error"] or "", d["next_attempt_at"] or "", d["created_at"]]
            for d in rows
        ],
    )  # fmt: skip


@app.command("rm")
@command
def webhooks_rm(session: Session, webhook_id: IdArgument) -> None:
    """Remove an endpoint (and its delivery log).

    \b
    Example:
      mg webhooks rm whk_3k9x
    """
    from mg.cli import _output

    with session.client() as client:
        client.request("DELETE", f"/v1/webhooks/{webhook_id}")
    _output.success(f"Removed {webhook_id}.")


@app.command("ping")
@command
def webhooks_ping(session: Session, webhook_id: IdArgument, json_: JsonOption = False) -> None:
    """Send a webhook.ping event now and show what the endpoint answered.

    \b
    Example:
      mg webhooks ping whk_3k9x
    """
    from mg.cli import _output
    from mg.cli._errors import CLIError

    with session.client() as client:
        delivery = client.request("POST", f"/v1/webhooks/{webhook_id}/ping")
    if json_:
        _output.print_json(delivery)
        return
    attempt = delivery["attempt_log"][-1]
    text = f"{attempt['status_code'] or attempt['error']} in {attempt['latency_ms']} ms"
    if delivery["status"] != "delivered":
        raise CLIError(
            f"Ping {delivery['id']} failed: {text}.", "Check the URL and that the receiver answers 2xx."
        )
    _output.success(f"Ping {delivery['id']} delivered: {text}.")


@app.command("rotate")
@command
def webhooks_rotate(session: Session, webhook_id: IdArgument, json_: JsonOption = False) -> None:
    """Make a new signing secret; the old one keeps signing beside it for 24 hours.

    \b
    Example:
      mg webhooks rotate whk_3k9x
    """
    from mg.cli import _output

    with session.client() as client:
        hook = client.request("POST", f"/v1/webhooks/{webhook_id}/rotate-secret")
    if json_:
        _output.print_json(hook)
        return
    print(f"New signing secret (shown once): {hook['secret']}")
    _output.note(f"The previous secret stays valid until {hook['previous_secret_expires_at']}.")


@app.command("deliveries")
@command
def webhooks_deliveries(
    session: Session,
    webhook: Annotated[
        str | None, typer.Option("--webhook", metavar="ID", help="Only this endpoint's.")
    ] = None,
    failed: Annotated[bool, typer.Option("--failed", help="Only deliveries that gave up.")] = False,
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=1, max=200, help="How many (newest first).")
    ] = 20,
    json_: JsonOption = False,
) -> None:
    """The delivery log: every event owed to your endpoints, its attempts and status.

    \b
    Examples:
      mg webhooks deliveries --failed
      mg webhooks deliveries --webhook whk_3k9x --json | jq '.[0].attempt_log'
    """
    from mg.cli import _output

    params: dict[str, Any] = {"limit": limit}
    if webhook:
        params["webhook_id"] = webhook
    if failed:
        params["status"] = "failed"
    with session.client() as client:
        rows = client.request("GET", "/v1/webhooks/deliveries", params=params)["data"]
    if json_:
        _output.print_json(rows)
    elif not rows:
        _output.note("No deliveries" + (" failed." if failed else " yet."))
    else:
        _deliveries_table(rows)


@app.command("redeliver")
@command
def webhooks_redeliver(
    session: Session,
    delivery_id: Annotated[
        str, typer.Argument(metavar="ID", help="Delivery id (dlv_…).", show_default=False)
    ],
    json_: JsonOption = False,
) -> None:
    """Send a delivery's event to its endpoint again (a new delivery).

    \b
    Example:
      mg webhooks redeliver dlv_8f2k
    """
    from mg.cli import _output

    with session.client() as client:
        delivery = client.request("POST", f"/v1/webhooks/deliveries/{delivery_id}/redeliver")
    if json_:
        _output.print_json(delivery)
    else:
        _output.success(f"Queued {delivery['id']} (again {delivery['event']} {delivery['event_id']}).")


@app.command("listen")
@command
def webhooks_listen(
    session: Session,
    events: EventsOption = None,
    forward_to: Annotated[
        str | None,
        typer.Option("--forward-to", "-f", metavar="URL", help="Also POST each event (headers intact) here."),
    ] = None,
    port: Annotated[int, typer.Option("--port", help="Local port to listen on (0: any free one).")] = 0,
) -> None:
    """Print events as they happen, like `stripe listen`: registers a temporary endpoint that
    points here, checks each signature, and removes the endpoint when you press Ctrl-C.

    The gateway must be able to reach this machine (the local gateway always can).

    \b
    Examples:
      mg webhooks listen
      mg webhooks listen --events thread.action --forward-to http://localhost:8080/hooks
    """
    from mg.cli._listen import listen

    with session.client() as client:
        listen(client, _events(events, ["*"]) or ["*"], forward_to, port)
