"""One module per family of scenarios; `SCENARIOS` names each scenario's function."""
