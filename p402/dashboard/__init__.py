"""The dashboard: Optimize, a workflow's waste and spend pages, served by the API's resolver.

`register_dashboard(app, deps)` adds its routes; `local_dependencies` builds what
`p402 serve` needs over a data dir, `aws_dependencies` what the Lambda needs over Athena.
"""

from p402.dashboard.routes import DashboardDependencies, register_dashboard
from p402.dashboard.wiring import aws_dependencies, local_dependencies

__all__ = ["DashboardDependencies", "aws_dependencies", "local_dependencies",
           "register_dashboard"]
