"""The dashboard's routes on the API's own resolver: each handler checks access, reads the
figures once and renders one page. A request without valid credentials gets the sign-in
page (or a redirect to it) and never a figure.
"""

import base64
import csv
import io
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response

from p402.dashboard import figures, pages
from p402.dashboard.access import KeyFinder, Sessions, bearer, cookie_value
from p402.dashboard.figures import DEFAULT_WINDOW, WINDOWS, FigureSources
from p402.dashboard.html import exact
from p402.schema import ATTRIBUTION_COLUMNS

logger = Logger(service="p402-dashboard")
HTML = "text/html; charset=utf-8"
STATIC_DIR = Path(__file__).parent / "static"
STATIC_TYPES = {"dashboard.css": "text/css; charset=utf-8",
                "dashboard.js": "text/javascript; charset=utf-8"}
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": ("default-src 'none'; style-src 'self'; script-src 'self'; "
                                "img-src 'self' data:; form-action 'self'; "
                                "frame-ancestors 'none'; base-uri 'none'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
GROUP_CHOICES = tuple(c for c in ATTRIBUTION_COLUMNS)


@dataclass
class DashboardDependencies:
    """What the dashboard needs, built once at the entry point (Lambda or p402 serve).

    `keys` checks a bearer key; None means an API Gateway authorizer already did (on AWS),
    and the authorizer's answer is trusted for bearer requests.
    """

    sources: FigureSources
    sessions: Sessions
    keys: KeyFinder | None


class _BadRequest(ValueError):
    """A query-string value the page cannot use; the message names it."""


def register_dashboard(app: APIGatewayHttpResolver, deps: DashboardDependencies) -> None:
    """Adds the dashboard's routes to the API resolver."""
    statics = {name: (STATIC_DIR / name).read_text() for name in STATIC_TYPES}

    @app.get("/dashboard/static/<name>")
    def static(name: str) -> Response:
        if name not in statics:
            return _html(404, pages.page("Not found", "<p>No such file.</p>"))
        return Response(200, STATIC_TYPES[name], statics[name],
                        headers={"Cache-Control": "public, max-age=3600",
                                 "X-Content-Type-Options": "nosniff"})

    @app.get("/dashboard/login")
    def login_form() -> Response:
        return _html(200, pages.login_page(_next_path(_query(app).get("next"))))

    @app.post("/dashboard/login")
    def login() -> Response:
        form = _form(app)
        target = _next_path(form.get("next"))
        grant = deps.keys.find(form.get("key")) if deps.keys else None
        if grant is None:
            logger.info("dashboard sign-in refused")
            return _html(401, pages.login_page(target, failed=True))
        logger.info("dashboard sign-in", extra={"key_name": grant.name})
        return _redirect(target, deps.sessions.set_cookie(deps.sessions.issue(grant.name)))

    @app.post("/dashboard/logout")
    def logout() -> Response:
        return _redirect("/dashboard/login", deps.sessions.clear_cookie())

    @app.get("/dashboard")
    def overview() -> Response:
        return _guarded(app, deps, lambda who: _overview(app, deps, who))

    @app.get("/dashboard/optimize")
    def optimize() -> Response:
        return _guarded(app, deps, lambda who: _optimize(app, deps, who))

    @app.get("/dashboard/workflows/<workflow_id>")
    def workflow(workflow_id: str) -> Response:
        return _guarded(app, deps, lambda who: _workflow(app, deps, who, unquote(workflow_id)))

    @app.get("/dashboard/workflows/<workflow_id>/sql")
    def workflow_sql(workflow_id: str) -> Response:
        return _guarded(app, deps,
                        lambda who: _workflow_sql(app, deps, who, unquote(workflow_id)))


# Handlers ---------------------------------------------------------------------------------

def _optimize(app: APIGatewayHttpResolver, deps: DashboardDependencies, who: str) -> Response:
    query = _query(app)
    window = _window(query)
    ranking = figures.ranking(deps.sources, window, live=query.get("live") == "1")

    if query.get("format") == "csv":
        return _csv(ranking.answer.rows, f"p402-optimize-{window}.csv")
    trend = figures.trends(deps.sources, ranking.start, ranking.end)
    search, all_rows = query.get("q", "")[:200], query.get("rows") == "all"
    return _html(200, pages.optimize_page(ranking, trend, who, search, all_rows))


def _workflow(app: APIGatewayHttpResolver, deps: DashboardDependencies, who: str,
              workflow_id: str) -> Response:
    window = _window(_query(app))
    start, end = figures.window_range(window, deps.sources.clock())

    answers = figures.workflow_detail(deps.sources, workflow_id, start, end)
    return _html(200, pages.workflow_page(workflow_id, window, start, end, answers, who))


def _workflow_sql(app: APIGatewayHttpResolver, deps: DashboardDependencies, who: str,
                  workflow_id: str) -> Response:
    window = _window(_query(app))
    start, end = figures.window_range(window, deps.sources.clock())
    return _html(200, pages.workflow_sql_page(workflow_id, window, start, end, who))


def _overview(app: APIGatewayHttpResolver, deps: DashboardDependencies, who: str) -> Response:
    query = _query(app)
    window = _window(query)
    group_by = query.get("group_by") or "provider"
    if group_by not in GROUP_CHOICES:
        raise _BadRequest(f"group_by: got {group_by!r}, expected one of "
                          f"{', '.join(GROUP_CHOICES)}")
    start, end = figures.window_range(window, deps.sources.clock())

    spend = figures.spend_by(deps.sources, group_by, start, end)
    budgets = figures.budget_states(deps.sources)
    unpriced = figures.unpriced_models(deps.sources, start, end)
    return _html(200, pages.overview_page(window, group_by, GROUP_CHOICES, start, end, spend,
                                          budgets, unpriced, who))


# Access -----------------------------------------------------------------------------------

def _guarded(app: APIGatewayHttpResolver, deps: DashboardDependencies, render) -> Response:
    """Renders the page for a signed-in caller; sends anyone else to the sign-in page."""
    who = _caller(app, deps)
    if who is None:
        return _redirect("/dashboard/login?next=" + quote(_here(app), safe=""))
    try:
        return render(who)
    except _BadRequest as bad:
        return _html(400, pages.page("Bad request", f"<p>{pages.esc(str(bad))}</p>",
                                     signed_in=who))


def _caller(app: APIGatewayHttpResolver, deps: DashboardDependencies) -> str | None:
    """The key name of a bearer key or of a valid session cookie; None for anyone else."""
    event = app.current_event
    presented = bearer((event.headers or {}).get("authorization"))
    if presented is not None:
        return _bearer_name(event.raw_event, deps.keys, presented)
    return deps.sessions.verify(cookie_value(event.cookies))


def _bearer_name(raw: dict[str, Any], keys: KeyFinder | None, presented: str) -> str | None:
    if keys is not None:
        grant = keys.find(presented)
        return grant.name if grant else None
    context = ((raw.get("requestContext") or {}).get("authorizer") or {}).get("lambda") or {}
    return str(context["key_name"]) if "key_name" in context else None


def _next_path(value: str | None) -> str:
    """Where to go after signing in: a dashboard path on this site, never elsewhere."""
    if value and value.startswith("/dashboard") and "//" not in value and "\\" not in value:
        return value
    return "/dashboard/optimize"


def _here(app: APIGatewayHttpResolver) -> str:
    raw = app.current_event.raw_event
    query = raw.get("rawQueryString") or ""
    return raw.get("rawPath", "/dashboard") + (f"?{query}" if query else "")


# Requests and responses -------------------------------------------------------------------

def _query(app: APIGatewayHttpResolver) -> dict[str, str]:
    return dict(app.current_event.query_string_parameters or {})


def _window(query: dict[str, str]) -> str:
    window = query.get("window") or DEFAULT_WINDOW
    if window not in WINDOWS:
        raise _BadRequest(f"window: got {window!r}, expected one of {', '.join(WINDOWS)}")
    return window


def _form(app: APIGatewayHttpResolver) -> dict[str, str]:
    raw = app.current_event.raw_event
    body = raw.get("body") or ""
    if raw.get("isBase64Encoded"):
        body = base64.b64decode(body).decode(errors="replace")
    return {name: values[0] for name, values in parse_qs(body[:10_000]).items()}


def _html(status: int, body: str) -> Response:
    return Response(status, HTML, body, headers=PAGE_HEADERS)


def _redirect(location: str, cookie: str | None = None) -> Response:
    # Powertools writes each cookie with str(), so the Set-Cookie text goes as it is.
    return Response(303, HTML, "", headers={**PAGE_HEADERS, "Location": location},
                    cookies=[cookie] if cookie else None)


def _csv(rows: list[dict[str, Any]], name: str) -> Response:
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows({k: exact(v) if isinstance(v, Decimal) else v for k, v in r.items()}
                         for r in rows)
    headers = {**PAGE_HEADERS, "Content-Disposition": f'attachment; filename="{name}"'}
    return Response(200, "text/csv; charset=utf-8", out.getvalue(), headers=headers)
