"""Custom resource: creates the `ai_economic_events` view in Athena at deploy time.

It waits for Athena to finish, so a view that does not compile fails the deployment. On
delete it drops the view; a failure there is logged, not raised, because the Glue database
is deleted right after and a stuck delete would block the teardown.
"""

import logging
import os

import boto3

from p402.adapters.aws.athena_ledger import AthenaLedger, AthenaQueryFailed

logger = logging.getLogger()
logger.setLevel(logging.INFO)


def athena_ledger() -> AthenaLedger:
    return AthenaLedger(boto3.client("athena"), workgroup=os.environ["ATHENA_WORKGROUP"],
                        database=os.environ["ATHENA_DATABASE"])


def apply(event: dict, ledger: AthenaLedger) -> dict:
    """Run the statement for this request type; the view name is the physical id."""
    properties = event["ResourceProperties"]
    view = properties["ViewName"]

    if event["RequestType"] in ("Create", "Update"):
        query_id = ledger.execute(properties["Statement"])
        logger.info("view created", extra={"view": view, "query_id": query_id})
        return {"PhysicalResourceId": view}

    try:
        ledger.execute(f"DROP VIEW IF EXISTS {view}")
    except AthenaQueryFailed as failure:
        logger.error("view not dropped", extra={"view": view, "reason": str(failure)})
    return {"PhysicalResourceId": event.get("PhysicalResourceId", view)}


def handler(event: dict, _context) -> dict:
    return apply(event, athena_ledger())
