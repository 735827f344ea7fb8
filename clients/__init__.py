"""Client tooling: the `impressions` CLI, the tritonclient library, bulk runner, load tests."""
