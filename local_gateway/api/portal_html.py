"""The portal's pages as plain string templates: every value escaped, no scripts, forms only.

Kept apart from the handlers (``api/portal_page.py``) so each reads on its own: this module turns
a :class:`Dashboard` into HTML and knows nothing of requests or services.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from typing import Any

STYLE = """
body{font:15px/1.45 system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1c2330}
header{display:flex;justify-content:space-between;align-items:center;padding:12px 24px;
  background:#1c2330;color:#fff}
header form{margin:0} main{max-width:980px;margin:0 auto;padding:16px 24px}
section{background:#fff;border:1px solid #dde1e7;border-radius:8px;padding:12px 16px;margin:14px 0}
h1{font-size:18px;margin:0} h2{font-size:16px;margin:0 0 8px}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #eef0f3}
td form{display:inline;margin:0} code{background:#eef0f3;padding:1px 4px;border-radius:4px}
.notice{background:#fff7d6;border-color:#e8d27a} .new{background:#e6f6ea;border-color:#8fcf9f}
.error{background:#fde8e8;border-color:#e7a1a1} .muted{color:#667085}
.healthy{color:#157f3b} .aging{color:#a15c00} .stale{color:#b42318}
button{cursor:pointer} .figure{font-size:22px;font-weight:600}
"""


@dataclass(frozen=True)
class Dashboard:
    email: str
    tier: str
    csrf: str
    tos_accepted: bool
    keys: list[dict[str, Any]]
    balance: dict[str, Any]
    limits: dict[str, Any]
    usage_daily: list[dict[str, Any]]
    new_key: dict[str, Any] | None = None
    messages: list[str] = field(default_factory=list)


def page(title: str, body: str, header: str = "") -> str:
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>"
        f"<header><h1>mg portal</h1>{header}</header><main>{body}</main></body></html>"
    )


def _csrf(token: str) -> str:
    return f"<input type='hidden' name='csrf_token' value='{escape(token)}'>"


def _post(action: str, csrf: str, label: str, *, name: str, extra: str = "") -> str:
    return (
        f"<form method='post' action='{escape(action)}'>{_csrf(csrf)}{extra}"
        f"<button type='submit' name='{escape(name)}'>{escape(label)}</button></form>"
    )


def sign_in_page(message: str | None = None, error: str | None = None) -> str:
    notes = ""
    if message:
        notes += f"<section class='notice' id='message'>{escape(message)}</section>"
    if error:
        notes += f"<section class='error' id='error'>{escape(error)}</section>"
    form = (
        "<section><h2>Sign in</h2><p>We mail you a link that signs you in; no password.</p>"
        "<form method='post' action='/portal/sign-in'>"
        "<label>Email <input type='email' name='email' id='email' required autocomplete='email'></label> "
        "<button type='submit' id='send-link'>Send me a link</button></form></section>"
    )
    return page("Sign in · mg", notes + form)


def _keys_table(view: Dashboard) -> str:
    rows = []
    for key in view.keys:
        usable = key["status"] in ("active", "expiring")
        actions = ""
        if usable:
            actions = (
                _post(f"/portal/keys/{key['id']}/rotate", view.csrf, "Rotate", name="rotate")
                + " "
                + _post(f"/portal/keys/{key['id']}/revoke", view.csrf, "Revoke", name="revoke")
            )
        last_used = key["last_used_at"] or "never"
        rows.append(
            f"<tr data-key-id='{escape(key['id'])}' data-status='{escape(key['status'])}'>"
            f"<td>{escape(key['name'] or '—')}</td><td>{escape(key['environment'])}</td>"
            f"<td><code>{escape(key['prefix'])}…{escape(key['last4'])}</code></td>"
            f"<td>{key['age_days']} d</td><td>{escape(last_used)}</td>"
            f"<td class='{escape(key['health'])}'>{escape(key['health'])}</td>"
            f"<td>{escape(key['status'])}{_until(key)}</td><td>{actions}</td></tr>"
        )
    head = (
        "<tr><th>Name</th><th>Env</th><th>Key</th><th>Age</th><th>Last used</th>"
        "<th>Health</th><th>Status</th><th></th></tr>"
    )
    body = "".join(rows) or "<tr><td colspan='8' class='muted'>No keys yet.</td></tr>"
    create = (
        f"<form method='post' action='/portal/keys'>{_csrf(view.csrf)}"
        "<label>Name <input name='name' id='key-name' maxlength='200'></label> "
        "<select name='environment' id='key-environment'><option value='test'>test</option>"
        "<option value='live'>live</option></select> "
        "<button type='submit' id='create-key'>Create key</button></form>"
    )
    return f"<section id='keys'><h2>API keys</h2><table>{head}{body}</table><p>{create}</p></section>"


def _until(key: dict[str, Any]) -> str:
    if key["status"] == "expiring" and key.get("expires_at"):
        return f" <span class='muted'>until {escape(key['expires_at'])}</span>"
    return ""


def usage_chart(daily: list[dict[str, Any]], width: int = 900, height: int = 160) -> str:
    """Cost per day as an inline SVG bar chart, one bar a day, with each day's figure as a tooltip."""
    if not daily:
        return ""
    highest = max((float(d["cost_usd"]) for d in daily), default=0.0)
    top = highest or 1.0  # an empty month draws flat bars, not a division by zero
    slot = width / len(daily)
    bars = []
    for i, day in enumerate(daily):
        cost = float(day["cost_usd"])
        h = round(cost / top * (height - 20), 1)
        bars.append(
            f"<rect class='bar' data-date='{escape(day['date'])}' "
            f"x='{i * slot + 1:.1f}' y='{height - h:.1f}' "
            f"width='{slot - 2:.1f}' height='{h}' fill='#3e6ae1'>"
            f"<title>{escape(day['date'])}: ${cost:.6f}, {day['requests']} requests</title></rect>"
        )
    return (
        f"<svg id='usage-chart' role='img' aria-label='Cost per day, last {len(daily)} days' "
        f"viewBox='0 0 {width} {height}' width='100%' height='{height}'>"
        f"<line x1='0' y1='{height}' x2='{width}' y2='{height}' stroke='#999'/>{''.join(bars)}</svg>"
        f"<p class='muted'>{escape(daily[0]['date'])} – {escape(daily[-1]['date'])}: "
        + (f"highest day ${highest:.2f}" if highest else "no spend yet")
        + "</p>"
    )


def _money(value: Any) -> str:
    return "none" if value is None else f"${float(value):,.2f}"


def dashboard(view: Dashboard) -> str:
    header = f"<span><span id='who'>{escape(view.email)}</span> · {escape(view.tier)} tier</span>" + _post(
        "/portal/sign-out", view.csrf, "Sign out", name="sign-out"
    )
    parts = [f"<section class='notice'>{escape(m)}</section>" for m in view.messages]
    if not view.tos_accepted:
        parts.append(
            "<section class='notice' id='tos'><h2>Terms of Service</h2>"
            "<p>The API answers TOS_REQUIRED until you accept the terms.</p>"
            f"<form method='post' action='/portal/tos'>{_csrf(view.csrf)}"
            "<label><input type='checkbox' name='accept' value='yes' id='tos-accept' required> "
            "I accept the Terms of Service</label> <button type='submit' id='tos-submit'>Accept</button>"
            "</form></section>"
        )
    if view.new_key is not None:
        parts.append(
            "<section class='new' id='new-key'><h2>Your new key</h2>"
            f"<p><code id='new-key-value'>{escape(view.new_key['key'])}</code></p>"
            "<p>Copy it now: it is shown once and stored only as a hash.</p>"
            + (
                "<p id='old-key-expiry'>The key it replaces works until "
                f"{escape(view.new_key['old_expires_at'])}.</p>"
                if view.new_key.get("old_expires_at")
                else ""
            )
            + "</section>"
        )
    parts.append(
        "<section id='credits'><h2>Credits</h2>"
        f"<p class='figure' id='balance'>{_money(view.balance['balance_usd'])}</p>"
        f"<p class='muted'>This month {_money(view.balance['month_usage_usd'])}, "
        f"today {_money(view.balance['daily_usage_usd'])}.</p></section>"
    )
    parts.append(
        "<section id='caps'><h2>Spend caps</h2><table>"
        f"<tr><td>Your daily cap</td><td id='daily-cap'>{_money(view.limits['daily_cap_usd'])}</td></tr>"
        "<tr><td>Your monthly cap</td>"
        f"<td id='monthly-cap'>{_money(view.limits['monthly_cap_usd'])}</td></tr>"
        f"<tr><td>Tier daily cap</td><td>{_money(view.limits['tier_daily_cap_usd'])}</td></tr>"
        "</table><p class='muted'>Change them with mg billing spend-limit or PUT /v1/billing/spend-limit.</p>"
        "</section>"
    )
    parts.append(_keys_table(view))
    parts.append(f"<section id='usage'><h2>Usage, last 30 days</h2>{usage_chart(view.usage_daily)}</section>")
    return page("mg portal", "".join(parts), header)
