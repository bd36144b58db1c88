"""What the synthesized template must hold: the schema, auth, least privilege, encryption."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from infra import sql_files
from p402 import ledger
from p402.schema import PARTITION_COLUMN, glue_columns
from infra_template import as_list, only, resources, role_statements

API_ROUTES = {"POST /v1/events", "GET /v1/health", "POST /v1/iam/events"}
DASHBOARD_ROUTES = {"GET /dashboard", "GET /dashboard/{proxy+}", "POST /dashboard/{proxy+}"}


def _table_input(template_json):
    _, table = only(template_json, "AWS::Glue::Table")
    return table["Properties"]["TableInput"]


def _stream(template_json):
    _, stream = only(template_json, "AWS::KinesisFirehose::DeliveryStream")
    return stream["Properties"]["ExtendedS3DestinationConfiguration"]


def test_glue_columns_are_the_row_definition_in_order(template_json):
    columns = _table_input(template_json)["StorageDescriptor"]["Columns"]

    assert [{"name": c["Name"], "type": c["Type"], "comment": c["Comment"]}
            for c in columns] == glue_columns()


def test_partition_is_dt_with_date_projection(template_json):
    table = _table_input(template_json)
    params = table["Parameters"]

    assert table["PartitionKeys"] == [{"Name": PARTITION_COLUMN, "Type": "string",
                                       "Comment": "UTC date of occurred_at, YYYY-MM-DD"}]
    assert params["projection.enabled"] == "true"
    assert params["projection.dt.type"] == "date"
    assert params["projection.dt.format"] == "yyyy-MM-dd"
    assert params["projection.dt.range"] == "2020-01-01,NOW+1DAYS"
    assert "ParquetHiveSerDe" in table["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"]


def test_firehose_converts_to_parquet_with_the_generated_table(template_json):
    destination = _stream(template_json)
    conversion = destination["DataFormatConversionConfiguration"]
    table_id, _ = only(template_json, "AWS::Glue::Table")

    assert conversion["Enabled"] is True
    assert conversion["OutputFormatConfiguration"] == {"Serializer": {"ParquetSerDe": {}}}
    assert conversion["InputFormatConfiguration"] == {"Deserializer": {"OpenXJsonSerDe": {}}}
    assert conversion["SchemaConfiguration"]["TableName"] == {"Ref": table_id}
    assert conversion["SchemaConfiguration"]["VersionId"] == "LATEST"
    assert destination["BufferingHints"] == {"IntervalInSeconds": 60, "SizeInMBs": 64}


def test_firehose_partitions_by_event_date_and_keeps_errors_apart(template_json):
    destination = _stream(template_json)
    processors = destination["ProcessingConfiguration"]["Processors"]
    extraction = {p["ParameterName"]: p["ParameterValue"]
                  for p in processors[1]["Parameters"]}

    assert destination["DynamicPartitioningConfiguration"]["Enabled"] is True
    assert destination["Prefix"] == "ledger/dt=!{partitionKeyFromQuery:dt}/"
    assert destination["ErrorOutputPrefix"].startswith("firehose-errors/")
    assert [p["Type"] for p in processors] == ["RecordDeAggregation", "MetadataExtraction"]
    assert json.loads(extraction["MetadataExtractionQuery"].replace(
        "(.occurred_at // .received_at)[0:10]", '"q"')) == {"dt": "q"}


def _routes(template_json) -> dict[str, dict]:
    return {r["Properties"]["RouteKey"]: r["Properties"]
            for r in resources(template_json, "AWS::ApiGatewayV2::Route").values()}


def _target_function(template_json, route: dict) -> str:
    """The logical id of the Lambda function behind a route's integration."""
    integration_id = route["Target"]["Fn::Join"][1][1]["Ref"]
    integration = template_json["Resources"][integration_id]["Properties"]
    return integration["IntegrationUri"]["Fn::GetAtt"][0]


def _function_id(template_json, handler: str) -> str:
    return next(name for name, f in resources(template_json, "AWS::Lambda::Function").items()
                if f["Properties"].get("Handler") == handler)


def test_every_api_route_sits_behind_an_authorizer(template_json):
    routes = _routes(template_json)
    authorizer_id, authorizer = only(template_json, "AWS::ApiGatewayV2::Authorizer")

    assert set(routes) == API_ROUTES | DASHBOARD_ROUTES
    for key in API_ROUTES:
        expected = "AWS_IAM" if key == "POST /v1/iam/events" else "CUSTOM"
        assert routes[key]["AuthorizationType"] == expected, key
    assert routes["POST /v1/events"]["AuthorizerId"] == {"Ref": authorizer_id}
    assert authorizer["Properties"]["AuthorizerType"] == "REQUEST"
    assert authorizer["Properties"]["EnableSimpleResponses"] is True
    assert authorizer["Properties"]["AuthorizerResultTtlInSeconds"] == 300
    assert authorizer["Properties"]["IdentitySource"] == ["$request.header.Authorization"]


def test_dashboard_routes_check_access_in_the_dashboard_function(template_json):
    routes = _routes(template_json)
    dashboard_id = _function_id(template_json, "functions.dashboard.handler")

    for key in DASHBOARD_ROUTES:
        assert routes[key].get("AuthorizationType", "NONE") == "NONE", key
        assert "AuthorizerId" not in routes[key], key
        assert _target_function(template_json, routes[key]) == dashboard_id, key


def test_dashboard_session_key_is_generated_and_read_by_the_dashboard_alone(template_json):
    secrets = resources(template_json, "AWS::SecretsManager::Secret")
    session_id = next(name for name, s in secrets.items()
                      if "GenerateSecretString" in s["Properties"])
    readers = [prefix for prefix in ("IngestRole", "DashboardRole", "JobsFunctionRole",
                                     "BedrockImporterRole", "IngestApiAuthorizerRole")
               if session_id in json.dumps(role_statements(template_json, prefix))]
    dashboard = next(f["Properties"] for f in
                     resources(template_json, "AWS::Lambda::Function").values()
                     if f["Properties"].get("Handler") == "functions.dashboard.handler")

    assert secrets[session_id]["Properties"]["GenerateSecretString"]["PasswordLength"] >= 32
    assert readers == ["DashboardRole"]
    env = dashboard["Environment"]["Variables"]
    assert env["DASHBOARD_SECRET_ARN"] == {"Ref": session_id}
    assert {"KEYS_SECRET_ARN", "ATHENA_WORKGROUP", "ATHENA_DATABASE", "SNAPSHOT_BUCKET",
            "SNAPSHOT_PREFIX"} <= set(env)


def test_dashboard_role_reads_and_queries_but_writes_nothing(template_json):
    secret_ids = sorted(resources(template_json, "AWS::SecretsManager::Secret"))
    statements = role_statements(template_json, "DashboardRole")
    actions = {a for s in statements for a in as_list(s["Action"])}
    secret_statements = [s for s in statements if any(
        a.startswith("secretsmanager:") for a in as_list(s["Action"]))]

    assert {a.split(":")[0] for a in actions} == {"logs", "s3", "athena", "glue",
                                                  "secretsmanager"}
    assert {a for a in actions if a.startswith("secretsmanager:")} == {
        "secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"}
    assert sorted(r["Ref"] for s in secret_statements for r in as_list(s["Resource"])) == (
        secret_ids)
    assert not [a for a in actions if a.startswith(("firehose:", "sns:", "dynamodb:"))]
    assert not [a for a in actions if not a.startswith("logs:")
                and a.split(":")[1].startswith(("Create", "Update", "Delete", "PutSecret"))]
    s3_writes = [s for s in statements if "s3:PutObject" in as_list(s["Action"])]
    assert all("athena-results" in json.dumps(s["Resource"]) for s in s3_writes)


def test_stage_throttles_and_logs_access(template_json):
    _, stage = only(template_json, "AWS::ApiGatewayV2::Stage")
    props = stage["Properties"]

    assert props["RouteSettings"]["POST /v1/events"] == {"ThrottlingRateLimit": 2000,
                                                         "ThrottlingBurstLimit": 5000}
    assert props["DefaultRouteSettings"]["ThrottlingRateLimit"] == 2000
    assert "$context.requestId" in props["AccessLogSettings"]["Format"]


def test_ingest_may_only_put_to_its_own_stream(template_json):
    stream_id, _ = only(template_json, "AWS::KinesisFirehose::DeliveryStream")
    statements = role_statements(template_json, "IngestRole")
    by_service = {}
    for statement in statements:
        for action in as_list(statement["Action"]):
            by_service.setdefault(action.split(":")[0], []).append((action, statement))

    assert set(by_service) == {"logs", "firehose", "s3"}
    firehose = by_service["firehose"]
    assert sorted(a for a, _ in firehose) == ["firehose:PutRecord", "firehose:PutRecordBatch"]
    assert all(s["Resource"] == {"Fn::GetAtt": [stream_id, "Arn"]} for _, s in firehose)
    assert [a for a, _ in by_service["s3"]] == ["s3:GetObject"]
    assert "/snapshots/*" in json.dumps(by_service["s3"][0][1]["Resource"])


def test_no_function_role_has_a_wildcard_action(template_json):
    for prefix in ("IngestRole", "DashboardRole", "JobsFunctionRole", "BedrockImporterRole",
                   "IngestApiAuthorizerRole"):
        actions = [a for s in role_statements(template_json, prefix) for a in as_list(s["Action"])]
        assert not [a for a in actions if "*" in a], prefix


def test_functions_are_arm64_with_json_logs(template_json):
    ours = {name: f["Properties"] for name, f in
            resources(template_json, "AWS::Lambda::Function").items()
            if f["Properties"].get("Handler", "").startswith("functions.")}

    assert len(ours) == 6
    for name, props in ours.items():
        assert props["Architectures"] == ["arm64"], name
        assert props["LoggingConfig"]["LogFormat"] == "JSON", name
        assert props["Environment"]["Variables"]["POWERTOOLS_METRICS_NAMESPACE"] == "p402"


def test_handlers_get_the_settings_they_read(template_json):
    jobs = next(f["Properties"] for f in resources(template_json, "AWS::Lambda::Function").values()
                if f["Properties"].get("Handler") == "functions.jobs.handler")
    env = jobs["Environment"]["Variables"]

    assert {"FIREHOSE_STREAM_NAME", "ATHENA_WORKGROUP", "ATHENA_DATABASE", "SNS_TOPIC_ARN",
            "ALERT_TABLE", "SNAPSHOT_BUCKET", "SNAPSHOT_PREFIX", "BUDGETS"} <= set(env)
    assert env["ATHENA_DATABASE"] == "p402_test"
    assert env["ATHENA_TABLE"] == ledger.LANDED_TABLE
    assert isinstance(json.loads(env["BUDGETS"]), list)


def test_sns_topic_is_encrypted_with_a_rotating_key(template_json):
    key_id, key = only(template_json, "AWS::KMS::Key")
    _, topic = only(template_json, "AWS::SNS::Topic")

    assert topic["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    assert key["Properties"]["EnableKeyRotation"] is True


def test_alert_state_table_keys_alerts_with_recovery(template_json):
    _, table = only(template_json, "AWS::DynamoDB::Table")
    props = table["Properties"]

    assert props["KeySchema"] == [{"AttributeName": "alert_key", "KeyType": "HASH"}]
    assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}


def test_bedrock_log_queue_has_a_dead_letter_queue(template_json):
    queues = resources(template_json, "AWS::SQS::Queue")
    main = [q["Properties"] for q in queues.values() if "RedrivePolicy" in q["Properties"]]

    assert len(main) == 1
    dlq_id = main[0]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
    assert dlq_id in queues
    assert main[0]["RedrivePolicy"]["maxReceiveCount"] == 5
    assert main[0]["VisibilityTimeout"] == 720


def test_importer_reports_partial_batch_failures(template_json):
    _, mapping = only(template_json, "AWS::Lambda::EventSourceMapping")

    assert mapping["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_bedrock_logging_switch_keeps_text_out(template_json):
    _, switch = only(template_json, "Custom::AWS")
    create = json.dumps(switch["Properties"]["Create"])

    assert "PutModelInvocationLoggingConfiguration" in create
    for kind in ("text", "image", "embedding", "video"):
        assert f'\\"{kind}DataDeliveryEnabled\\":false' in create


def test_alarms_watch_conversion_delivery_errors_and_dead_letters(template_json):
    metrics = {a["Properties"].get("MetricName")
               for a in resources(template_json, "AWS::CloudWatch::Alarm").values()}

    assert {"FailedConversion.Records", "DeliveryToS3.Success", "DeliveryToS3.DataFreshness",
            "Errors", "ApproximateNumberOfMessagesVisible"} <= metrics


def test_schedule_runs_the_jobs_function(template_json):
    _, schedule = only(template_json, "AWS::Scheduler::Schedule")
    props = schedule["Properties"]
    jobs_id = next(name for name, f in resources(template_json, "AWS::Lambda::Function").items()
                   if f["Properties"].get("Handler") == "functions.jobs.handler")

    assert props["ScheduleExpression"] == "rate(10 minutes)"
    assert props["Target"]["Arn"] == {"Fn::GetAtt": [jobs_id, "Arn"]}
    assert props["State"] == "ENABLED"


def test_athena_workgroup_caps_scans_and_encrypts_results(template_json):
    _, workgroup = only(template_json, "AWS::Athena::WorkGroup")
    config = workgroup["Properties"]["WorkGroupConfiguration"]

    assert config["BytesScannedCutoffPerQuery"] == 10 * 1024**3
    assert config["EnforceWorkGroupConfiguration"] is True
    assert config["ResultConfiguration"]["EncryptionConfiguration"] == {
        "EncryptionOption": "SSE_S3"}


def test_saved_queries_and_view_come_from_the_sql_files(template_json):
    named = {q["Properties"]["Name"]: q["Properties"]["QueryString"]
             for q in resources(template_json, "AWS::Athena::NamedQuery").values()}
    _, view = only(template_json, "Custom::AthenaView")

    assert sorted(named) == ledger.saved_query_names()
    assert all(":first_day" not in sql and "{{" not in sql for sql in named.values())
    assert view["Properties"]["Statement"] == sql_files.view_statement()
    assert view["Properties"]["Statement"].startswith("CREATE OR REPLACE VIEW ai_economic_events")


def test_buckets_are_encrypted_private_and_tls_only(template_json):
    buckets = resources(template_json, "AWS::S3::Bucket")
    policies = [p["Properties"] for p in resources(template_json, "AWS::S3::BucketPolicy").values()]

    assert len(buckets) == 4
    for name, bucket in buckets.items():
        props = bucket["Properties"]
        assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"], name
        assert props["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True, "BlockPublicPolicy": True,
            "IgnorePublicAcls": True, "RestrictPublicBuckets": True}, name
        assert props["LifecycleConfiguration"]["Rules"], name
        assert bucket["DeletionPolicy"] == "Retain", name
        assert any(p["Bucket"] == {"Ref": name} and '"aws:SecureTransport": "false"'
                   in json.dumps(p["PolicyDocument"]) for p in policies), name
    logged = [b for b in buckets.values() if "LoggingConfiguration" in b["Properties"]]
    assert len(logged) == 3


def test_cfn_lint_finds_no_error(synthesized):
    lint = Path(sys.executable).parent / "cfn-lint"
    result = subprocess.run([str(lint), "--non-zero-exit-code", "error", str(synthesized)],
                            capture_output=True, text=True, timeout=300)

    assert result.returncode == 0, result.stdout[-2000:]


def test_cdk_nag_fails_synth_on_an_unacknowledged_finding(tmp_path):
    from aws_cdk import App, Stack, aws_sqs as sqs
    from infra.nag import add_security_checks

    app = App(outdir=str(tmp_path))
    sqs.Queue(Stack(app, "Careless"), "NoDeadLetters")
    add_security_checks(app)

    with pytest.raises(RuntimeError, match="AwsSolutions-SQS3"):
        app.synth()
