"""The HTTP API: ingest routes behind the API-key authorizer, dashboard routes checking
access in their own function (see `_dashboard_routes`).

Keys are kept only as SHA-256 hashes, each bound to projects, in one Secrets Manager secret
(CloudFormation cannot create an SSM SecureString, and a secret can be read by one call).
"""

import json

import jsii
from aws_cdk import (Duration, RemovalPolicy, SecretValue, aws_apigateway as apigw_v1,
                     aws_apigatewayv2 as apigw, aws_apigatewayv2_authorizers as authorizers,
                     aws_apigatewayv2_integrations as integrations, aws_lambda,
                     aws_logs as logs, aws_secretsmanager as secrets)
from constructs import Construct

from infra.constructs.lambda_function import LedgerFunction, log_retention
from infra.nag import acknowledge

EVENTS_ROUTE = "/v1/events"
HEALTH_ROUTE = "/v1/health"
IAM_EVENTS_ROUTE = "/v1/iam/events"
DASHBOARD_ROUTES = ("/dashboard", "/dashboard/{proxy+}")
KEY_HEADER = "$request.header.Authorization"
EMPTY_KEY_STORE = {"grants": []}

ACCESS_LOG_FIELDS = {
    "requestId": "$context.requestId", "ip": "$context.identity.sourceIp",
    "requestTime": "$context.requestTime", "routeKey": "$context.routeKey",
    "status": "$context.status", "responseLength": "$context.responseLength",
    "integrationLatency": "$context.integrationLatency",
    "integrationError": "$context.integrationErrorMessage",
    "authorizerError": "$context.authorizer.error", "keyName": "$context.authorizer.key_name",
}


class IngestApi(Construct):
    """Routes, authorizer, throttling and access logs; the handlers come from the caller."""

    def __init__(self, scope: Construct, construct_id: str, *, prefix: str,
                 code: aws_lambda.Code, ingest: LedgerFunction, dashboard: LedgerFunction,
                 log_retention_days: int, cache_seconds: int, rate_limit: int,
                 burst_limit: int, iam_route: bool) -> None:
        super().__init__(scope, construct_id)

        self.keys = secrets.Secret(
            self, "ApiKeys", description=f"{prefix}: SHA-256 hashes of API keys, with projects",
            secret_string_value=SecretValue.unsafe_plain_text(json.dumps(EMPTY_KEY_STORE)),
            removal_policy=RemovalPolicy.DESTROY)
        acknowledge(self.keys, "AwsSolutions-SMG4",
                    "It holds hashes of keys, not keys; a key is rotated by adding a new one "
                    "and removing the old hash, which automatic rotation cannot do.")

        self.authorizer_function = self._authorizer_function(code, log_retention_days)
        self.api = apigw.HttpApi(self, "Api", api_name=prefix, create_default_stage=False)
        self.stage = self._stage(log_retention_days, rate_limit, burst_limit)

        key_authorizer = authorizers.HttpLambdaAuthorizer(
            "ApiKeyAuthorizer", self.authorizer_function.function,
            identity_source=[KEY_HEADER],
            response_types=[authorizers.HttpLambdaResponseType.SIMPLE],
            results_cache_ttl=Duration.seconds(cache_seconds))

        self._routes(ingest, dashboard, key_authorizer, iam_route)

    @property
    def url(self) -> str:
        return self.stage.url

    def _authorizer_function(self, code: aws_lambda.Code, retention: int) -> LedgerFunction:
        function = LedgerFunction(
            self, "Authorizer", handler="functions.authorizer.handler", service="authorizer",
            code=code, log_retention_days=retention, memory_mb=256,
            environment={"KEYS_SECRET_ARN": self.keys.secret_arn,
                         "KEYS_CACHE_SECONDS": "60"})
        self.keys.grant_read(function.role)
        return function

    def _stage(self, retention: int, rate_limit: int, burst_limit: int) -> apigw.HttpStage:
        access_logs = logs.LogGroup(self, "AccessLogs", retention=log_retention(retention),
                                    removal_policy=RemovalPolicy.DESTROY)
        stage = apigw.HttpStage(
            self, "DefaultStage", http_api=self.api, auto_deploy=True,
            throttle=apigw.ThrottleSettings(rate_limit=rate_limit, burst_limit=burst_limit),
            access_log_settings=_AccessLogSettings(access_logs))

        route_throttle = {"ThrottlingRateLimit": rate_limit, "ThrottlingBurstLimit": burst_limit}
        stage.node.default_child.add_property_override(
            "RouteSettings", {f"POST {EVENTS_ROUTE}": route_throttle})
        return stage

    def _routes(self, ingest: LedgerFunction, dashboard: LedgerFunction,
                key_authorizer: authorizers.HttpLambdaAuthorizer, iam_route: bool) -> None:
        ingest_target = integrations.HttpLambdaIntegration("Ingest", ingest.function)
        dashboard_target = integrations.HttpLambdaIntegration("Dashboard", dashboard.function)

        self.api.add_routes(path=EVENTS_ROUTE, methods=[apigw.HttpMethod.POST],
                            integration=ingest_target, authorizer=key_authorizer)
        self.api.add_routes(path=HEALTH_ROUTE, methods=[apigw.HttpMethod.GET],
                            integration=ingest_target, authorizer=key_authorizer)
        self._dashboard_routes(dashboard_target)

        if iam_route:
            self.api.add_routes(path=IAM_EVENTS_ROUTE, methods=[apigw.HttpMethod.POST],
                                integration=ingest_target,
                                authorizer=authorizers.HttpIamAuthorizer())

    def _dashboard_routes(self, target: integrations.HttpLambdaIntegration) -> None:
        """GET for the pages, POST for the sign-in and sign-out forms.

        No authorizer here, on purpose: a browser sends only its session cookie, never the
        Authorization header the key authorizer needs. The dashboard function checks access
        itself, on every request: a bearer key against the key hashes, or a session cookie
        signed with the stack's dashboard secret; anyone else gets the sign-in page.
        """
        methods = {DASHBOARD_ROUTES[0]: [apigw.HttpMethod.GET],
                   DASHBOARD_ROUTES[1]: [apigw.HttpMethod.GET, apigw.HttpMethod.POST]}
        for path, verbs in methods.items():
            for route in self.api.add_routes(path=path, methods=verbs, integration=target):
                acknowledge(route, "AwsSolutions-APIG4",
                            "The dashboard checks a bearer key or its signed session cookie "
                            "itself; a browser cannot send the key the authorizer reads.")


@jsii.implements(apigw.IAccessLogSettings)
class _AccessLogSettings:
    """JSON access log lines into a retained log group (no bodies, no keys)."""

    def __init__(self, log_group: logs.ILogGroup) -> None:
        self._log_group = log_group

    @property
    def destination(self) -> apigw.IAccessLogDestination:
        return apigw.LogGroupLogDestination(self._log_group)

    @property
    def format(self) -> apigw_v1.AccessLogFormat:
        return apigw_v1.AccessLogFormat.custom(json.dumps(ACCESS_LOG_FIELDS))
