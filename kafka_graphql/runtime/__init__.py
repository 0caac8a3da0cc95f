"""The process: the event loop, its monitor, the workers' supervisor and signal handling."""
