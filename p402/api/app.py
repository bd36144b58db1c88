"""The ingest API on Powertools' HTTP API resolver: the handler Lambda runs and p402 serve runs.

POST /v1/events answers 202 {"accepted": n, "rejected": [...]} once the accepted rows are
durable in the sink; 400 when the body is not JSON or every event was refused; 401 without
a valid key; 413 over 1000 events or 5 MB; 503 when the sink could not store them all (the
client retries: event ids make the retry count once).
"""

import base64
import json

import orjson
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response

from p402.ingest import MAX_BODY_BYTES, BatchResult, BodyRefused, Stamp, accept_batch, events_of
from p402.keys import ALL_PROJECTS, KeyGrant, KeyRing
from p402.ports import EventSink
from p402.pricing import PriceBook

logger = Logger(service="p402-ingest")
JSON = "application/json"


@dataclass
class IngestDependencies:
    """Everything the API needs, built once at the entry point (Lambda or p402 serve)."""

    sink: EventSink
    prices: PriceBook
    keys: KeyRing | None  # None: an API Gateway authorizer already checked the key
    stamp: Stamp | None = None
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    # Told the counts of each batch (received, accepted, rejected, not stored): metrics.
    observe: Callable[[int, int, int, int], None] | None = None
    dashboard: Any = None  # p402.dashboard.DashboardDependencies: serve the dashboard too


def create_app(deps: IngestDependencies) -> APIGatewayHttpResolver:
    app = APIGatewayHttpResolver(serializer=_compact_json)

    @app.get("/v1/health")
    def health() -> Response:
        return _json(200, {"status": "ok"})

    @app.post("/v1/events")
    def post_events() -> Response:
        grant = _grant(app, deps.keys)
        if grant is None:
            return _json(401, {"error": "unauthorized"})
        try:
            events = events_of(_read_body(app))
        except BodyRefused as refused:
            return _json(refused.status, {"error": str(refused)})

        result = accept_batch(events, grant, deps.prices, deps.clock(), deps.stamp)
        failed = deps.sink.put(result.rows) if result.rows else []
        if deps.observe:
            deps.observe(len(events), len(result.rows), len(result.rejected), len(failed))
        return _answer(result, failed, len(events))

    if deps.dashboard is not None:
        from p402.dashboard import register_dashboard

        register_dashboard(app, deps.dashboard)
    return app


def _grant(app: APIGatewayHttpResolver, keys: KeyRing | None) -> KeyGrant | None:
    """The caller's grant: from its key locally, from the authorizer's answer on AWS."""
    if keys is None:
        return _grant_from_authorizer(app.current_event.raw_event)
    headers = app.current_event.headers or {}
    presented = headers.get("x-api-key") or _bearer(headers.get("authorization"))
    return keys.find(presented)


def _bearer(value: str | None) -> str | None:
    if value and value[:7].lower() == "bearer ":
        return value[7:].strip()
    return None


def _grant_from_authorizer(raw: dict[str, Any]) -> KeyGrant | None:
    authorizer = (raw.get("requestContext") or {}).get("authorizer") or {}
    if "iam" in authorizer:  # a caller inside AWS, signed with SigV4
        return KeyGrant("iam", frozenset({ALL_PROJECTS}), "iam")
    context = authorizer.get("lambda") or {}
    if "projects" not in context:
        return None
    projects = frozenset(p for p in str(context["projects"]).split(",") if p)
    return KeyGrant(str(context.get("key_name", "key")), projects, str(context.get("key_name", "")))


def _read_body(app: APIGatewayHttpResolver) -> Any:
    raw = app.current_event.raw_event
    body = (raw.get("body") or "").encode()
    if raw.get("isBase64Encoded"):
        body = base64.b64decode(body)
    if len(body) > MAX_BODY_BYTES:
        raise BodyRefused(413, f"body: got {len(body)} bytes, expected at most "
                          f"{MAX_BODY_BYTES}")
    try:
        return orjson.loads(body)
    except (orjson.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BodyRefused(400, f"body: not JSON ({exc})") from None


def _answer(result: BatchResult, failed: list[int], received: int) -> Response:
    if not result.rows:
        logger.info("batch refused", extra={"events": received})
        return _json(400, {"error": "every event was refused", "accepted": 0,
                           "rejected": result.rejected})
    if failed:
        logger.error("sink failed", extra={"events": received, "failed": len(failed)})
        return _json(503, {"error": "storage unavailable; retry the same events",
                           "accepted": 0, "failed": len(failed)})

    logger.info("batch accepted", extra={"events": received, "accepted": len(result.rows),
                                         "rejected": len(result.rejected)})
    return _json(202, {"accepted": len(result.rows), "rejected": result.rejected})


def _json(status: int, body: dict[str, Any]) -> Response:
    return Response(status_code=status, content_type=JSON, body=_compact_json(body))


def _compact_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), default=str)
