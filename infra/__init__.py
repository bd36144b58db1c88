"""The AWS deployment of p402: CDK stacks and constructs (synthesized by app.py)."""
