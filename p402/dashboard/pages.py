"""The dashboard's pages as HTML: Optimize, a workflow's waste, its SQL, spend, sign-in."""

from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from p402.dashboard import charts
from p402.dashboard.engines import FAILED, Answer
from p402.dashboard.figures import (
    SNAPSHOT, WINDOWS, WORKFLOW_QUERIES, Ranking, workflow_params,
)
from p402.dashboard.html import (
    Column, count_td, empty_note, esc, money_td, money_text, page, rate_td, rows_html, table,
    text_td, time_td, window_links, workflow_href,
)
from p402.ledger import bind, saved_query

STILL_RUNNING_RELOAD_SECONDS = 3
RANKING_ROWS_SHOWN = 100  # a longer table slows the browser; ?rows=all shows every row


# Optimize ---------------------------------------------------------------------------------

RANKING_COLUMNS = [
    Column("Rank", "count"), Column("Workflow"), Column("Waste", "money"),
    Column("Retry waste", "money"), Column("Context waste", "money"),
    Column("Spend", "money"), Column("Retry rate", "rate"),
    Column("Cache savings", "money"), Column("Calls", "count"), Column("Events", "count"),
    Column("Trend", "text", group=True), Column("Waste over time", "other"),
]


def optimize_page(ranking: Ranking, trend: Answer, who: str, search: str = "",
                  all_rows: bool = False) -> str:
    """Workflows ranked by waste, with totals, a bar chart and the table."""
    state = _state_note(ranking.answer) or _state_note(trend)
    body = [window_links("/dashboard/optimize", ranking.window, WINDOWS),
            _window_note(ranking), state]
    if ranking.answer.rows:
        series = _trend_series(trend, ranking.start, ranking.end)
        body += [_totals(ranking.totals),
                 '<section aria-labelledby="chart-h"><h2 id="chart-h">Where the waste is</h2>',
                 charts.waste_bars(ranking.answer.rows), "</section>",
                 _ranking_table(ranking, series, search, all_rows)]
    elif ranking.answer.done:
        body.append(empty_note("No events in this window."))
    refresh = STILL_RUNNING_RELOAD_SECONDS if not (ranking.answer.done and trend.done) else None
    return page("Optimize: waste by workflow", "".join(body), "optimize", who, refresh)


def _window_note(ranking: Ranking) -> str:
    source = ("from the scheduled job's latest ranking" if ranking.source == SNAPSHOT
              else "from the ledger now")
    return (f'<p class="note">From <time>{ranking.start:%Y-%m-%d %H:%M}</time> to '
            f"<time>{ranking.end:%Y-%m-%d %H:%M}</time> UTC, {source}. "
            "Waste is retry waste plus context waste. Hover a figure for its exact value.</p>")


def _totals(totals: dict[str, Decimal]) -> str:
    labels = (("waste_usd", "Waste"), ("retry_cost_usd", "Retry waste"),
              ("context_waste_usd", "Context waste"), ("spend_usd", "Spend"),
              ("cache_savings_usd", "Cache savings"))
    tiles = "".join(f'<div class="tile"><dt>{label}</dt><dd>{money_text(totals[key])}</dd></div>'
                    for key, label in labels)
    return f'<dl class="tiles" aria-label="Totals">{tiles}</dl>'


def _ranking_table(ranking: Ranking, series: dict[str, list[Decimal]], search: str,
                   all_rows: bool) -> str:
    ranked = [(rank, row) for rank, row in enumerate(ranking.answer.rows, 1)
              if search.lower() in str(row["workflow_id"]).lower()]
    shown = ranked if all_rows else ranked[:RANKING_ROWS_SHOWN]
    cells = [_ranking_cells(rank, row, series.get(row["workflow_id"], []), ranking.window)
             for rank, row in shown]
    return _shown_note(len(shown), len(ranked), search, ranking.window) + table(
        "ranking", f"Workflows ranked by waste ({ranking.window})", RANKING_COLUMNS,
        rows_html(cells), f"p402-optimize-{ranking.window}.csv",
        more=len(shown) < len(ranked))


def _ranking_cells(rank: int, row: dict, values: list[Decimal], window: str) -> list[str]:
    return [
        count_td(rank), text_td(row["workflow_id"], workflow_href(row["workflow_id"], window)),
        money_td(row["waste_usd"]), money_td(row["retry_cost_usd"]),
        money_td(row["context_waste_usd"]), money_td(row["spend_usd"]),
        rate_td(row["retry_rate"]), money_td(row["cache_savings_usd"]),
        count_td(row["calls"]), count_td(row["events"]), text_td(_trend_word(values)),
        f'<td data-value="">{charts.sparkline(values, _spark_label(row, values))}</td>']


def _shown_note(shown: int, matched: int, search: str, window: str) -> str:
    """How many rows the table holds, and the ways to the others."""
    base = f"/dashboard/optimize?window={esc(window)}"
    found = f' matching "{esc(search)}"' if search else ""
    links = [f'<a href="{base}&amp;format=csv">Export every workflow as CSV</a>']
    if shown < matched:
        links.insert(0, f'<a href="{base}&amp;rows=all&amp;q={esc(quote(search))}">'
                        f"Show all {matched:,}</a>")
    if search:
        links.append(f'<a href="{base}">Clear the search</a>')
    more = " Press Enter in the filter to search them all." if shown < matched else ""
    return (f'<p class="note" id="ranking-note">Showing {shown:,} of {matched:,} '
            f"workflows{found}.{more} {' · '.join(links)}</p>")


def _trend_series(trend: Answer, start: datetime, end: datetime) -> dict[str, list[Decimal]]:
    """Waste per bucket per workflow, zeros where a bucket had none, oldest first."""
    hourly = end - start <= timedelta(days=1)
    step = timedelta(hours=1) if hourly else timedelta(days=1)
    first = start.replace(minute=0, second=0, microsecond=0)
    if not hourly:
        first = first.replace(hour=0)
    count = int((end - first) / step) + 1
    series: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0)] * count)
    for row in trend.rows:
        index = int((row["bucket_start"] - first) / step)
        if 0 <= index < count:
            series[row["workflow_id"]][index] += row["waste_usd"]
    return series


def _trend_word(values: list[Decimal]) -> str:
    """Rising, falling or steady: waste in the later half of the window against the earlier."""
    if len(values) < 2:
        return "-"
    half = len(values) // 2
    before, after = sum(values[:half], Decimal(0)), sum(values[half:], Decimal(0))
    if before == 0:
        return "new" if after > 0 else "none"
    if after > before * Decimal("1.25"):
        return "rising"
    if after < before * Decimal("0.8"):
        return "falling"
    return "steady"


def _spark_label(row: dict, values: list[Decimal]) -> str:
    return f"waste of {row['workflow_id']} over the window, {len(values)} points"


# A workflow -------------------------------------------------------------------------------

MODEL_COLUMNS = [
    Column("Provider", group=True), Column("Model", group=True), Column("Events", "count"),
    Column("Calls", "count"), Column("Retried attempts", "count"),
    Column("Unpriced events", "count"), Column("Spend", "money"),
    Column("Retry waste", "money"), Column("Context waste", "money"),
    Column("Cache savings", "money"),
]
ATTEMPT_COLUMNS = [
    Column("Call", group=True), Column("Attempt", "count"), Column("When (UTC)"),
    Column("Outcome", group=True), Column("Error", group=True), Column("Model", group=True),
    Column("Cost", "money"), Column("Retry waste", "money"), Column("Event"),
]
CONTEXT_COLUMNS = [
    Column("Event"), Column("When (UTC)"), Column("Model", group=True),
    Column("Input tokens", "count"), Column("Unused tokens", "count"),
    Column("Prefix tokens", "count"), Column("Cost", "money"),
    Column("Context waste", "money"),
]


def workflow_page(workflow_id: str, window: str, start: datetime, end: datetime,
                  answers: dict[str, Answer], who: str) -> str:
    """The events behind one workflow's waste: models, retried calls, context waste."""
    models, calls, context = (answers[name] for name in WORKFLOW_QUERIES)
    notes = "".join(_state_note(a) for a in answers.values())
    base = f"/dashboard/workflows/{quote(workflow_id, safe='')}"
    body = [
        '<p><a href="/dashboard/optimize?window=' + esc(window)
        + '">← Back to the ranking</a></p>',
        window_links(base, window, WINDOWS),
        f'<p class="note">From <time>{start:%Y-%m-%d %H:%M}</time> to '
        f"<time>{end:%Y-%m-%d %H:%M}</time> UTC, from the ledger now. "
        f'<a href="{base}/sql?window={esc(window)}">Query the same rows in SQL</a>.</p>',
        notes, _workflow_summary(models), _models_section(models, workflow_id),
        _calls_section(calls, workflow_id), _context_section(context, workflow_id)]
    refresh = None if all(a.done or a.state == FAILED for a in answers.values()) else (
        STILL_RUNNING_RELOAD_SECONDS)
    return page(f"Workflow {workflow_id}", "".join(body), "optimize", who, refresh)


def _workflow_summary(models: Answer) -> str:
    if not models.rows:
        return empty_note("No events of this workflow in this window.") if models.done else ""
    keys = ("retry_cost_usd", "context_waste_usd", "spend_usd", "cache_savings_usd")
    totals = {k: sum((r[k] for r in models.rows), Decimal(0)) for k in keys}
    totals["waste_usd"] = totals["retry_cost_usd"] + totals["context_waste_usd"]
    return _totals(totals)


def _models_section(models: Answer, workflow_id: str) -> str:
    if not models.rows:
        return ""
    cells = [[text_td(r["provider"]), text_td(r["model"]), count_td(r["events"]),
              count_td(r["calls"]), count_td(r["retried_attempts"]),
              count_td(r["unpriced_events"]), money_td(r["spend_usd"]),
              money_td(r["retry_cost_usd"]), money_td(r["context_waste_usd"]),
              money_td(r["cache_savings_usd"])] for r in models.rows]
    return _section("models-h", "Models involved",
                    table("models", "Models this workflow called", MODEL_COLUMNS,
                          rows_html(cells), f"p402-{_slug(workflow_id)}-models.csv"))


def _calls_section(calls: Answer, workflow_id: str) -> str:
    if not calls.done:
        return ""
    if not calls.rows:
        return _section("calls-h", "Retried calls", empty_note("No retried calls."))
    groups: dict[str, list[dict]] = defaultdict(list)
    for row in calls.rows:
        groups[row["call_key"]].append(row)
    bodies = "".join(_call_group(key, rows) for key, rows in groups.items())
    note = (f'<p class="note">{len(groups)} call(s), costliest retry waste first; every '
            "attempt but the one that ended a call is retry waste.</p>")
    return _section("calls-h", "Retried calls", note + table(
        "calls", "Attempts of each retried call", ATTEMPT_COLUMNS, bodies,
        f"p402-{_slug(workflow_id)}-retried-calls.csv"))


def _call_group(call_key: str, rows: list[dict]) -> str:
    first = rows[0]
    head = (f'<tr class="group" data-skip><th scope="rowgroup" colspan="{len(ATTEMPT_COLUMNS)}">'
            f"Call {esc(call_key)}: {first['call_attempts']} attempt(s), retry waste "
            f"{money_text(first['call_retry_usd'])}</th></tr>")
    cells = "".join(
        "<tr>" + "".join([
            text_td(call_key), count_td(r["attempt"]), time_td(r["occurred_at"]),
            text_td(r["outcome"]), text_td(r["error_type"]), text_td(r["model"]),
            money_td(r["cost_usd"]), money_td(r["retry_cost_usd"]),
            text_td(r["event_id"])]) + "</tr>" for r in rows)
    return f"<tbody>{head}{cells}</tbody>"


def _context_section(context: Answer, workflow_id: str) -> str:
    if not context.done:
        return ""
    if not context.rows:
        return _section("context-h", "Costliest context waste",
                        empty_note("No context waste."))
    cells = [[text_td(r["event_id"]), time_td(r["occurred_at"]), text_td(r["model"]),
              count_td(r["input_tokens"]), count_td(r["context_waste_tokens"]),
              count_td(r["prompt_prefix_tokens"]), money_td(r["cost_usd"]),
              money_td(r["context_waste_usd"])] for r in context.rows]
    return _section("context-h", "Costliest context waste", table(
        "context", "Events whose context cost the most for nothing", CONTEXT_COLUMNS,
        rows_html(cells), f"p402-{_slug(workflow_id)}-context-waste.csv"))


def workflow_sql_page(workflow_id: str, window: str, start: datetime, end: datetime,
                      who: str) -> str:
    """The drill-down's SQL with its values written in, for `p402 query` or Athena."""
    params = workflow_params(workflow_id, start, end)
    blocks = []
    for name in WORKFLOW_QUERIES:
        sql = inline_values(saved_query(name), params)
        blocks.append(f'<h2 id="{name}">{esc(name)}</h2>'
                      f'<pre tabindex="0"><code>{esc(sql)}</code></pre>')
    intro = ('<p class="note">The rows of this page come from these saved queries (also in '
             "Athena as named queries). Run one locally with "
             "<code>p402 query \"…\"</code>, or in the Athena console.</p>")
    back = (f'<p><a href="{workflow_href(workflow_id, window)}">← Back to the workflow</a>'
            "</p>")
    return page(f"SQL for workflow {workflow_id}", back + intro + "".join(blocks),
                "optimize", who)


def inline_values(sql: str, params: dict[str, Any]) -> str:
    """A saved query with its `:name` values written in as SQL literals."""
    text, values = bind(sql, params)
    for value in values:
        literal = "'" + str(value).replace("'", "''") + "'"
        text = text.replace("?", literal, 1)
    return "\n".join(line for line in text.splitlines() if line.strip())


# Spend ------------------------------------------------------------------------------------

SPEND_COLUMNS = [
    Column("Group", group=False), Column("Events", "count"), Column("Input tokens", "count"),
    Column("Output tokens", "count"), Column("Spend", "money"),
    Column("Retry waste", "money"), Column("Cache savings", "money"),
]
BUDGET_COLUMNS = [
    Column("Budget"), Column("Period", group=True), Column("State", group=True),
    Column("Spend", "money"), Column("Limit", "money"), Column("Used", "other"),
    Column("Forecast", "money"), Column("Period ends"), Column("Evaluated"),
]
UNPRICED_COLUMNS = [
    Column("Provider", group=True), Column("Model"), Column("Events", "count"),
    Column("Input tokens", "count"), Column("Output tokens", "count"),
    Column("First seen"), Column("Last seen"),
]
CHART_GROUPS = 6


def overview_page(window: str, group_by: str, group_choices: tuple[str, ...],
                  start: datetime, end: datetime, spend: Answer,
                  budgets: list[dict] | None, unpriced: Answer, who: str) -> str:
    """Spend over time by any attribution column, budgets, and models without a price."""
    picker = _group_picker(window, group_by, group_choices)
    notes = _state_note(spend) + _state_note(unpriced)
    body = [window_links("/dashboard", window, WINDOWS, f"&amp;group_by={esc(group_by)}"),
            picker,
            f'<p class="note">From <time>{start:%Y-%m-%d %H:%M}</time> to '
            f"<time>{end:%Y-%m-%d %H:%M}</time> UTC, from the ledger now.</p>", notes,
            _spend_section(spend, group_by, window), _budgets_section(budgets),
            _unpriced_section(unpriced)]
    refresh = None if spend.done and unpriced.done else STILL_RUNNING_RELOAD_SECONDS
    return page("Spend", "".join(body), "overview", who, refresh)


def _group_picker(window: str, group_by: str, choices: tuple[str, ...]) -> str:
    options = "".join(f'<option value="{c}"{" selected" if c == group_by else ""}>{c}</option>'
                      for c in choices)
    return ('<form class="picker" method="get" action="/dashboard">'
            f'<input type="hidden" name="window" value="{esc(window)}">'
            f'<label for="group_by">Spend by</label><select id="group_by" name="group_by">'
            f'{options}</select><button type="submit">Show</button></form>')


def _spend_section(spend: Answer, group_by: str, window: str) -> str:
    if not spend.rows:
        return empty_note("No events in this window.") if spend.done else ""
    totals: dict[str, dict[str, Any]] = {}
    for row in spend.rows:
        total = totals.setdefault(row[group_by], defaultdict(Decimal))
        for key in ("events", "input_tokens", "output_tokens", "spend_usd", "retry_cost_usd",
                    "cache_savings_usd"):
            total[key] += row[key] if key.endswith("_usd") else int(row[key] or 0)
    ordered = sorted(totals.items(), key=lambda item: item[1]["spend_usd"], reverse=True)
    chart = _spend_chart(spend.rows, group_by, [name for name, _ in ordered])
    cells = [[text_td(name), count_td(t["events"]), count_td(t["input_tokens"]),
              count_td(t["output_tokens"]), money_td(t["spend_usd"]),
              money_td(t["retry_cost_usd"]), money_td(t["cache_savings_usd"])]
             for name, t in ordered]
    columns = [Column(group_by), *SPEND_COLUMNS[1:]]
    return _section("spend-h", f"Spend by {group_by}", chart + table(
        "spend", f"Spend by {group_by}, whole window", columns, rows_html(cells),
        f"p402-spend-by-{group_by}-{window}.csv"))


def _spend_chart(rows: list[dict], group_by: str, ordered: list[str]) -> str:
    shown = ordered[:CHART_GROUPS]
    buckets = sorted({r["period_start"] for r in rows})
    index = {moment: i for i, moment in enumerate(buckets)}
    series = {name: [Decimal(0)] * len(buckets) for name in shown}
    if len(ordered) > CHART_GROUPS:
        series["other"] = [Decimal(0)] * len(buckets)
    for row in rows:
        name = row[group_by] if row[group_by] in series else "other"
        series[name][index[row["period_start"]]] += row["spend_usd"]
    return charts.spend_columns(buckets, series, f"Spend per day by {group_by}")


def _budgets_section(budgets: list[dict] | None) -> str:
    if budgets is None:
        return _section("budgets-h", "Budgets", empty_note(
            "No budget evaluation yet: the scheduled job has not run, or no budget is set."))
    cells = [[text_td(b["budget_id"]), text_td(b.get("period")),
              f'<td data-value="{esc(b.get("state"))}"><span class="state '
              f'state-{esc(b.get("state"))}">{esc(b.get("state"))}</span></td>',
              money_td(b.get("spend_usd")), money_td(b.get("limit_usd")),
              f'<td class="num" data-value="{esc(b.get("percent_used"))}">'
              f'{esc(b.get("percent_used"))}%</td>',
              money_td(b.get("forecast_usd")), text_td(b.get("period_end")),
              text_td(b.get("evaluated_at"))] for b in budgets]
    return _section("budgets-h", "Budgets", table(
        "budgets", "Budgets, as the scheduled job last evaluated them", BUDGET_COLUMNS,
        rows_html(cells), "p402-budgets.csv"))


def _unpriced_section(unpriced: Answer) -> str:
    if not unpriced.done:
        return ""
    if not unpriced.rows:
        return _section("unpriced-h", "Unpriced models",
                        empty_note("Every model in this window had a price."))
    cells = [[text_td(r["provider"]), text_td(r["model"]), count_td(r["events"]),
              count_td(r["input_tokens"]), count_td(r["output_tokens"]),
              time_td(r["first_seen"]), time_td(r["last_seen"])] for r in unpriced.rows]
    note = ('<p class="note">Their cost is unknown (never $0): add a price override '
            "to count them.</p>")
    return _section("unpriced-h", "Unpriced models", note + table(
        "unpriced", "Models no price covered", UNPRICED_COLUMNS, rows_html(cells),
        "p402-unpriced-models.csv"))


# Sign-in and shared pieces ----------------------------------------------------------------

def login_page(next_path: str, failed: bool = False) -> str:
    error = ('<p class="error" role="alert" id="login-error">That key was not accepted.</p>'
             if failed else "")
    described = ' aria-describedby="login-error"' if failed else ""
    form = (f'{error}<form method="post" action="/dashboard/login" class="login">'
            f'<input type="hidden" name="next" value="{esc(next_path)}">'
            '<label for="key">API key</label>'
            f'<input id="key" name="key" type="password" autocomplete="current-password" '
            f"required autofocus{described}>"
            '<button type="submit">Sign in</button></form>'
            '<p class="note">The key <code>p402 serve</code> printed (or your deployment\'s '
            "key). You stay signed in for an hour.</p>")
    return page("Sign in", form)


def _state_note(answer: Answer) -> str:
    if answer.state == FAILED:
        return (f'<p class="error" role="alert">The ledger query failed: '
                f"{esc(answer.reason)}</p>")
    if not answer.done:
        return (f'<p class="running" role="status">Still running: {esc(answer.reason)}. '
                f"This page reloads every {STILL_RUNNING_RELOAD_SECONDS} s until it is done."
                "</p>")
    return ""


def _section(heading_id: str, title: str, inner: str) -> str:
    return (f'<section aria-labelledby="{heading_id}"><h2 id="{heading_id}">{esc(title)}</h2>'
            f"{inner}</section>")


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in text)[:60]
