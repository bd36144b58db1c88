"""The HTTP API: one Powertools resolver served by Lambda and by `p402 serve`."""
