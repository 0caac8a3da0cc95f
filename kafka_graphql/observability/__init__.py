"""What the gateway reports about itself, as its operators read it: the sinks of
core/telemetry.py's `Telemetry` (logs/: the operation log and the audit log; metrics/: Prometheus;
traces/: OpenTelemetry), and the one place that picks them from the settings (sinks.py).
OpenTelemetry is imported only when tracing is on (prometheus-client and structlog are
dependencies of every install)."""
