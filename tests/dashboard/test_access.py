"""No figure without credentials: every dashboard page answers a stranger with the sign-in
page, and a session cookie is worth something only as the server signed it, until it expires."""

import http.client
import urllib.parse

import pytest
from dashboard_servers import STORM

from p402.dashboard.access import Sessions

PAGES = ["/dashboard", "/dashboard/optimize", "/dashboard/optimize?window=30d&format=csv",
         f"/dashboard/workflows/{STORM}?window=30d", f"/dashboard/workflows/{STORM}/sql"]


def sign_in(server, key: str, next_path: str = "/dashboard/optimize") -> tuple[int, dict]:
    body = urllib.parse.urlencode({"key": key, "next": next_path}).encode()
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    connection.request("POST", "/dashboard/login", body,
                       {"Content-Type": "application/x-www-form-urlencoded"})
    answer = connection.getresponse()
    answer.read()
    connection.close()
    return answer.status, dict(answer.getheaders())


@pytest.mark.parametrize("path", PAGES)
def test_a_request_without_credentials_is_sent_to_sign_in_with_no_figures(dashboard, path):
    status, headers, body = dashboard.get(path)
    assert status == 303
    assert headers["Location"].startswith("/dashboard/login?next=")
    assert body == ""


@pytest.mark.parametrize("headers", [{"Authorization": "Bearer not-a-key"},
                                     {"Cookie": "p402_session=v1.9999999999.bG9jYWw.0000"},
                                     {"Authorization": "Basic Zm9vOmJhcg=="}])
def test_a_wrong_key_or_a_forged_cookie_gets_no_figures(dashboard, headers):
    status, _, body = dashboard.get("/dashboard/optimize?window=30d", headers)
    assert status == 303 and STORM not in body


def test_a_bearer_key_reads_the_page(dashboard):
    status, headers, body = dashboard.get("/dashboard/optimize?window=30d",
                                          {"Authorization": f"Bearer {dashboard.key}"})
    assert status == 200 and STORM in body
    assert headers["Cache-Control"] == "no-store"
    assert "default-src 'none'" in headers["Content-Security-Policy"]


def test_signing_in_gives_a_signed_cookie_that_reads_the_page(dashboard):
    status, headers = sign_in(dashboard, dashboard.key, "/dashboard/optimize?window=30d")
    assert status == 303 and headers["Location"] == "/dashboard/optimize?window=30d"
    cookie = headers["Set-Cookie"]
    for attribute in ("HttpOnly", "SameSite=Strict", "Path=/dashboard", "Max-Age=3600"):
        assert attribute in cookie

    value = cookie.split(";")[0]
    status, _, body = dashboard.get("/dashboard/optimize?window=30d", {"Cookie": value})
    assert status == 200 and STORM in body
    forged = value[:-1] + ("0" if value[-1] != "0" else "1")
    assert dashboard.get("/dashboard/optimize", {"Cookie": forged})[0] == 303


def test_a_wrong_key_is_refused_and_sign_in_never_sends_elsewhere(dashboard):
    assert sign_in(dashboard, "not-a-key")[0] == 401
    for target in ("//evil.example/x", "https://evil.example", "/\\evil.example"):
        status, headers = sign_in(dashboard, dashboard.key, target)
        assert status == 303 and headers["Location"] == "/dashboard/optimize"


def test_a_session_expires():
    now = [1_000_000.0]
    sessions = Sessions(b"s" * 32, lambda: now[0], lifetime_seconds=60)
    value = sessions.issue("local")
    assert sessions.verify(value) == "local"
    now[0] += 61
    assert sessions.verify(value) is None
    assert Sessions(b"t" * 32, lambda: 0).verify(value) is None


def test_the_snapshot_and_the_live_ledger_give_the_same_ranking(dashboard):
    bearer = {"Authorization": f"Bearer {dashboard.key}"}
    dashboard.run_jobs()
    _, _, snapshot = dashboard.get("/dashboard/optimize?window=30d&format=csv", bearer)
    _, _, live = dashboard.get("/dashboard/optimize?window=30d&format=csv&live=1", bearer)
    assert snapshot.splitlines()[1:] and snapshot == live


def test_an_unknown_window_is_a_bad_request_that_names_it(dashboard):
    status, _, body = dashboard.get("/dashboard/optimize?window=2y",
                                    {"Authorization": f"Bearer {dashboard.key}"})
    assert status == 400 and "window: got &#x27;2y&#x27;, expected one of" in body
