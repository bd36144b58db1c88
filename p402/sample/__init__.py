"""The sample workload `make run` loads on first start, so every page shows real figures."""
