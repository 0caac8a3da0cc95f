"""The benchmark suite (issue 9): each scenario measures the gateway and its bare-stack baseline
in one invocation. `python -m benchmarks --help`; docs/benchmarks.md explains the scenarios."""
