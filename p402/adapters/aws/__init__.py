"""AWS adapters behind p402.ports: Athena, SNS, DynamoDB, S3 and the API-key secret."""
