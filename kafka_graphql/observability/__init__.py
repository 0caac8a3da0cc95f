"""What the gateway tells its operators: the sinks of core/telemetry.py (logs, the audit log,
and the others the settings turn on) and the one function that makes them (sinks.py)."""
