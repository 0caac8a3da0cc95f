"""Log lines (structlog): one renderer for the gateway's lines and the libraries', the operation
and connection lines (operations.py) and the audit log (audit.py), set up once at start-up
(setup.py)."""
