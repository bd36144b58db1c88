"""Small readers over a synthesized CloudFormation template."""


def resources(template: dict, kind: str) -> dict[str, dict]:
    return {name: r for name, r in template["Resources"].items() if r["Type"] == kind}


def only(template: dict, kind: str) -> tuple[str, dict]:
    found = resources(template, kind)
    assert len(found) == 1, f"expected one {kind}, got {sorted(found)}"
    return next(iter(found.items()))


def role_statements(template: dict, role_logical_prefix: str) -> list[dict]:
    """Every statement of the inline policies attached to roles whose id starts so."""
    roles = [name for name in resources(template, "AWS::IAM::Role")
             if name.startswith(role_logical_prefix)]
    assert len(roles) == 1, f"expected one role {role_logical_prefix}*, got {roles}"
    statements = []
    for policy in resources(template, "AWS::IAM::Policy").values():
        attached = [r.get("Ref") for r in policy["Properties"].get("Roles", [])]
        if roles[0] in attached:
            statements += policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]
