"""Small HTML builders: the page shell, tables whose cells carry exact values, money cells.

Every text that comes from the ledger goes through `esc`. A cell's `data-value` holds the
exact value (what the CSV export and the tests read); money is shown to the cent with the
exact amount in its `title`, read on hover.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from html import escape
from typing import Any
from urllib.parse import quote

CENT = Decimal("0.01")
STATIC = "/dashboard/static"


def esc(value: Any) -> str:
    return escape("" if value is None else str(value), quote=True)


def exact(amount: Decimal | None) -> str:
    """Money as exact decimal text, without trailing zeros ("12.5", "0.000125")."""
    if amount is None:
        return ""
    text = format(amount.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def cents(amount: Decimal | None) -> str:
    """Money to the cent; a positive amount under half a cent shows as "<$0.01"."""
    if amount is None:
        return "unpriced"
    if Decimal(0) < amount < Decimal("0.005"):
        return "<$0.01"
    rounded = amount.quantize(CENT, rounding=ROUND_HALF_EVEN)
    sign = "-" if rounded < 0 else ""
    return f"{sign}${abs(rounded):,.2f}"


def money_td(amount: Decimal | None) -> str:
    if amount is None:
        return '<td class="num" data-value="" title="no price: cost unknown">unpriced</td>'
    title = f"{exact(amount)} USD"
    return (f'<td class="num" data-value="{exact(amount)}" title="{title}">'
            f"{cents(amount)}</td>")


def money_text(amount: Decimal | None) -> str:
    """Money to the cent in running text, exact on hover."""
    return f'<span title="{exact(amount)} USD" data-value="{exact(amount)}">{cents(amount)}</span>'


def count_td(value: Any) -> str:
    if value is None:
        return '<td class="num" data-value="">unknown</td>'
    return f'<td class="num" data-value="{int(value)}">{int(value):,}</td>'


def rate_td(rate: float | None) -> str:
    if rate is None:
        return '<td class="num" data-value="">-</td>'
    return f'<td class="num" data-value="{rate!r}" title="{rate!r}">{rate * 100:.1f}%</td>'


def text_td(value: Any, href: str | None = None) -> str:
    shown = esc(value) if value not in (None, "") else "<span class=dim>none</span>"
    inner = f'<a href="{esc(href)}">{shown}</a>' if href else shown
    return f'<td data-value="{esc(value)}">{inner}</td>'


def time_td(moment: datetime | None) -> str:
    if moment is None:
        return '<td data-value="">-</td>'
    text = moment.strftime("%Y-%m-%d %H:%M:%S")
    return f'<td data-value="{moment.isoformat()}"><time>{text}</time></td>'


@dataclass(frozen=True)
class Column:
    """A table column: its label, the kind the table tools treat it as, group-able or not."""

    label: str
    kind: str = "text"  # text, money, count, rate, other
    group: bool = False


def table(table_id: str, caption: str, columns: list[Column], body: str,
          export_name: str, more: bool = False) -> str:
    """A table the dashboard script makes filterable, sortable, groupable and exportable."""
    heads = "".join(
        f'<th scope="col" data-kind="{c.kind}"{" data-group" if c.group else ""}>'
        f"{esc(c.label)}</th>" for c in columns)
    return (f'<div class="table-wrap"><table id="{esc(table_id)}" class="data" '
            f'data-export="{esc(export_name)}"{" data-more" if more else ""}>'
            f'<caption>{esc(caption)}</caption>'
            f"<thead><tr>{heads}</tr></thead>{body}</table></div>")


def rows_html(cells: list[list[str]]) -> str:
    return "<tbody>" + "".join("<tr>" + "".join(row) + "</tr>" for row in cells) + "</tbody>"


def empty_note(text: str) -> str:
    return f'<p class="empty">{esc(text)}</p>'


def page(title: str, body: str, active: str = "", signed_in: str | None = None,
         refresh_seconds: int | None = None) -> str:
    """The whole document: stylesheet and script from the package, no other origin."""
    refresh = (f'<meta http-equiv="refresh" content="{refresh_seconds}">'
               if refresh_seconds else "")
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"{refresh}<title>{esc(title)} · p402</title>"
        f'<link rel="stylesheet" href="{STATIC}/dashboard.css">'
        f'<script src="{STATIC}/dashboard.js" defer></script></head><body>'
        '<a class="skip" href="#main">Skip to content</a>'
        f"{_header(active, signed_in)}"
        f'<main id="main" tabindex="-1"><h1>{esc(title)}</h1>{body}</main></body></html>')


def _header(active: str, signed_in: str | None) -> str:
    if signed_in is None:
        return '<header><span class="brand">p402</span></header>'
    links = (("overview", "/dashboard", "Spend"), ("optimize", "/dashboard/optimize", "Optimize"))
    nav = "".join(
        f'<a href="{href}"{" aria-current=page" if key == active else ""}>{label}</a>'
        for key, href, label in links)
    return (f'<header><span class="brand">p402</span><nav aria-label="Dashboard">{nav}</nav>'
            f'<form method="post" action="/dashboard/logout" class="signout">'
            f'<span class="who">key: {esc(signed_in)}</span>'
            '<button type="submit">Sign out</button></form></header>')


def workflow_href(workflow_id: str, window: str) -> str:
    return f"/dashboard/workflows/{quote(workflow_id, safe='')}?window={quote(window)}"


def window_links(base: str, current: str, windows: tuple[str, ...], extra: str = "") -> str:
    """The window picker: links, the current one marked for screen readers too."""
    labels = {"24h": "24 hours", "7d": "7 days", "30d": "30 days", "mtd": "Month to date"}
    links = "".join(
        f'<a href="{base}?window={w}{extra}"{" aria-current=true" if w == current else ""}>'
        f"{labels[w]}</a>" for w in windows)
    return f'<nav class="windows" aria-label="Time window">{links}</nav>'
