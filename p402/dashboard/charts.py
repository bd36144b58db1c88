"""Charts as inline SVG made on the server: no script, no library, readable without colour.

Each chart carries a text alternative (`role="img"` and a title); the table beside it holds
the same figures exactly.
"""

from datetime import datetime
from decimal import Decimal

from p402.dashboard.html import cents, esc, exact

PALETTE = ("#1f5fbf", "#c2410c", "#047857", "#7e22ce", "#a16207", "#be185d", "#4b5563")
RETRY, CONTEXT = PALETTE[1], PALETTE[0]


def waste_bars(rows: list[dict], limit: int = 10) -> str:
    """Horizontal bars of the costliest workflows: retry waste, then context waste."""
    top = [r for r in rows[:limit] if (r.get("waste_usd") or 0) > 0]
    if not top:
        return ""
    widest = max(r["waste_usd"] for r in top)
    label_w, bar_w, row_h = 190, 330, 26
    height = row_h * len(top) + 30
    parts = [_legend(((RETRY, "retry waste"), (CONTEXT, "context waste")), label_w)]
    for index, row in enumerate(top):
        parts.append(_waste_bar(row, index * row_h + 28, widest, label_w, bar_w))
    summary = ", ".join(f"{r['workflow_id']} {cents(r['waste_usd'])}" for r in top)
    return _svg(label_w + bar_w + 90, height,
                f"Waste of the top {len(top)} workflows: {summary}", "".join(parts))


def _waste_bar(row: dict, y: int, widest: Decimal, label_w: int, bar_w: int) -> str:
    retry = row.get("retry_cost_usd") or Decimal(0)
    context = row.get("context_waste_usd") or Decimal(0)
    retry_w = float(retry / widest) * bar_w if widest else 0
    context_w = float(context / widest) * bar_w if widest else 0
    name = _clip(str(row["workflow_id"]), 26)
    return (
        f'<text x="{label_w - 6}" y="{y + 13}" text-anchor="end">{esc(name)}</text>'
        f'<rect x="{label_w}" y="{y}" width="{retry_w:.1f}" height="18" fill="{RETRY}">'
        f"<title>retry waste {exact(retry)} USD</title></rect>"
        f'<rect x="{label_w + retry_w:.1f}" y="{y}" width="{context_w:.1f}" height="18" '
        f'fill="{CONTEXT}"><title>context waste {exact(context)} USD</title></rect>'
        f'<text x="{label_w + retry_w + context_w + 6:.1f}" y="{y + 13}">'
        f"{cents(row['waste_usd'])}</text>")


def sparkline(values: list[Decimal], label: str) -> str:
    """A small line of waste per time bucket, oldest first."""
    if len(values) < 2:
        return ""
    top = max(values) or Decimal(1)
    width, height = 96, 22
    step = width / (len(values) - 1)
    points = " ".join(f"{i * step:.1f},{height - 2 - float(v / top) * (height - 4):.1f}"
                      for i, v in enumerate(values))
    return (f'<svg class="spark" viewBox="0 0 {width} {height}" width="{width}" '
            f'height="{height}" role="img" aria-label="{esc(label)}">'
            f'<polyline points="{points}" fill="none" stroke="{RETRY}" stroke-width="1.5"/>'
            "</svg>")


def spend_columns(buckets: list[datetime], series: dict[str, list[Decimal]],
                  title: str) -> str:
    """Stacked columns of spend per day, one colour per group (the largest groups first)."""
    if not buckets or not series:
        return ""
    totals = [sum((s[i] for s in series.values()), Decimal(0)) for i in range(len(buckets))]
    top = max(totals) or Decimal(1)
    chart_h, col_w, left = 180, max(6, min(40, 640 // len(buckets))), 70
    width = left + col_w * len(buckets) + 10
    parts = [_axis(top, chart_h, left, width)]
    for index, moment in enumerate(buckets):
        parts.append(_column(index, moment, series, top, chart_h, col_w, left))
    legend = _legend(tuple(zip(PALETTE, series)), left, y=chart_h + 36)
    return _svg(width, chart_h + 50, title, "".join(parts) + legend)


def _column(index: int, moment: datetime, series: dict[str, list[Decimal]], top: Decimal,
            chart_h: int, col_w: int, left: int) -> str:
    x, y = left + index * col_w, chart_h + 10
    parts = []
    for colour, (name, values) in zip(PALETTE, series.items()):
        h = float(values[index] / top) * chart_h
        if h <= 0:
            continue
        y -= h
        parts.append(f'<rect x="{x + 1}" y="{y:.1f}" width="{col_w - 2}" height="{h:.1f}" '
                     f'fill="{colour}"><title>{esc(name)} {moment:%Y-%m-%d}: '
                     f"{exact(values[index])} USD</title></rect>")
    return "".join(parts)


def _axis(top: Decimal, chart_h: int, left: int, width: int) -> str:
    return (f'<line x1="{left}" y1="{chart_h + 10}" x2="{width}" y2="{chart_h + 10}" '
            'stroke="#6b7280"/>'
            f'<text x="{left - 6}" y="16" text-anchor="end">{cents(top)}</text>'
            f'<text x="{left - 6}" y="{chart_h + 10}" text-anchor="end">$0</text>')


def _legend(entries: tuple, x: int, y: int = 14) -> str:
    parts, offset = [], x
    for colour, name in entries:
        label = _clip(str(name), 22)
        parts.append(f'<rect x="{offset}" y="{y - 10}" width="12" height="12" '
                     f'fill="{colour}"/><text x="{offset + 16}" y="{y}">{esc(label)}</text>')
        offset += 30 + 7 * len(label)
    return "".join(parts)


def _svg(width: int, height: int, label: str, inner: str) -> str:
    return (f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="{esc(label)}" preserveAspectRatio="xMinYMin meet">'
            f"<title>{esc(_clip(label, 300))}</title>{inner}</svg>")


def _clip(text: str, size: int) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"
