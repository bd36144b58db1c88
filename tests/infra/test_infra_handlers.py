"""The authorizer and the view custom resource, invoked in-process with real event shapes."""

from types import SimpleNamespace

import pytest

from functions import authorizer, ledger_ddl
from p402.adapters.aws.athena_ledger import AthenaQueryFailed
from p402.keys import KeyGrant, hash_key

KEY = "p402_example-key"


class FakeStore:
    def __init__(self):
        self.reads = 0

    def grants(self):
        self.reads += 1
        return [KeyGrant(hash_key(KEY), frozenset({"search", "checkout"}), "ci")]


def _request(headers):
    """The payload (v2) API Gateway sends a REQUEST authorizer with simple responses."""
    return {"version": "2.0", "type": "REQUEST", "routeArn": "arn:aws:execute-api:...",
            "identitySource": [headers.get("Authorization", "")], "routeKey": "POST /v1/events",
            "headers": {k.lower(): v for k, v in headers.items()},
            "requestContext": {"http": {"method": "POST", "path": "/v1/events"}}}


@pytest.mark.parametrize("header", [f"Bearer {KEY}", f"bearer  {KEY}", KEY])
def test_a_known_key_is_authorized_with_its_projects(header):
    keys = authorizer.CachedKeyRing(FakeStore(), cache_seconds=60)

    answer = authorizer.decide(_request({"Authorization": header}), keys)

    assert answer == {"isAuthorized": True,
                      "context": {"projects": "checkout,search", "key_name": "ci"}}


@pytest.mark.parametrize("headers", [{"Authorization": "Bearer p402_wrong"}, {}])
def test_an_unknown_or_missing_key_is_refused(headers):
    keys = authorizer.CachedKeyRing(FakeStore(), cache_seconds=60)

    assert authorizer.decide(_request(headers), keys) == {"isAuthorized": False}


def test_grants_are_reread_only_after_the_cache_time():
    store, now = FakeStore(), [0.0]
    keys = authorizer.CachedKeyRing(store, cache_seconds=60, clock=lambda: now[0])

    keys.ring()
    now[0] = 59
    keys.ring()
    now[0] = 60
    keys.ring()

    assert store.reads == 2


class FakeLedger:
    def __init__(self, fail=False):
        self.statements = []
        self.fail = fail

    def execute(self, sql):
        self.statements.append(sql)
        if self.fail:
            raise AthenaQueryFailed("q", "FAILED", "no such view")
        return "q"


def _cfn_event(request_type):
    return {"RequestType": request_type, "PhysicalResourceId": "ai_economic_events",
            "ResourceProperties": {"ViewName": "ai_economic_events",
                                   "Statement": "CREATE OR REPLACE VIEW ai_economic_events AS "
                                                "SELECT 1 AS x"}}


@pytest.mark.parametrize("request_type", ["Create", "Update"])
def test_view_is_created_on_create_and_update(request_type):
    athena = FakeLedger()

    answer = ledger_ddl.apply(_cfn_event(request_type), athena)

    assert athena.statements == [_cfn_event("Create")["ResourceProperties"]["Statement"]]
    assert answer == {"PhysicalResourceId": "ai_economic_events"}


def test_view_failure_on_create_fails_the_deploy():
    with pytest.raises(AthenaQueryFailed):
        ledger_ddl.apply(_cfn_event("Create"), FakeLedger(fail=True))


def test_view_drop_failure_does_not_block_teardown():
    athena = FakeLedger(fail=True)

    answer = ledger_ddl.apply(_cfn_event("Delete"), athena)

    assert athena.statements == ["DROP VIEW IF EXISTS ai_economic_events"]
    assert answer == {"PhysicalResourceId": "ai_economic_events"}
