"""Both WebSocket subprotocols (protocols.py), what the gateway writes to a socket (sending.py) and
the token of `connection_init` (auth.py)."""
