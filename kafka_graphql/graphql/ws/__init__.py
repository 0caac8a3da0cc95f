"""Both WebSocket subprotocols (transport.py, legacy.py; what they share: common.py), checked
message by message before Strawberry handles them; what the gateway writes to a socket
(sending.py); the token of `connection_init` (auth.py).

Strawberry's handlers (strawberry/subscriptions/protocols/graphql_transport_ws/handlers.py and
graphql_ws/handlers.py, `handle_message`) index every message as an object: a message that is
valid JSON but not an object, or a `subscribe`/`start` without `id` or `payload`, raises out of
the handler and aiohttp drops the socket without a close frame. Here every message is checked
first and refused the way its protocol says:

- graphql-transport-ws (https://github.com/enisdenjo/graphql-ws/blob/master/PROTOCOL.md): close
  4400 for an invalid message, 4401 for anything but ping/pong before the connection is
  acknowledged, 4409 for an id already in use, 4429 for a second `connection_init`.
- legacy graphql-ws (subscriptions-transport-ws, PROTOCOL.md and its reference server): a message
  that isn't JSON is a `connection_error`, one of no known type an `error`; where the protocol
  has no rule (no `id`, binary frames, a second `connection_init`) the socket closes with 4400.

Limits (docs/limits.md#websockets): a socket that sends no `connection_init` within
`limits.connection_init_timeout_s` closes with 4408 "Connection initialisation timeout" (the
graphql-transport-ws rule; legacy graphql-ws has none, and closes the same way). A caller's
connection beyond `limits.max_connections_per_principal` closes with 4429 right after its
`connection_init` (legacy: after a `connection_error`); its slot is released when it closes.

A result that cannot be written (sending.py: its encoding failed, or its caller was cut back
while it waited for room) ends its operation alone, with its own error and the cursor of the
message in flight (graphql/stream_failures.py), then `complete`; the socket and its other
operations go on.

Heartbeats (http/ws_heartbeat.py, `server.websocket_heartbeat_s`): a socket idle for a period
is sent a ping; without a pong within a further period it is closed with 1011 and aborted, and
its handler releases what it held as for any close.

Authentication happens at `connection_init` (GatewayView.on_ws_connect). A refusal closes a
graphql-transport-ws socket with 4403, which graphql-ws clients retry (with a fresh token); on
legacy graphql-ws a `connection_error` carrying the code comes first. An accepted connection
lives until its token expires (plus the leeway), then closes with 4403 the same way.
"""
