"""What the gateway reports about itself, as its operators read it: the sinks of
core/telemetry.py's `Telemetry` (logs/: the operation log and the audit log; traces/:
OpenTelemetry), and the one place that picks them from the settings (sinks.py). A sink's library
is imported only when its table turns it on."""
