"""p402: the AI economic events ledger."""
