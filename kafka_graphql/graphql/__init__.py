"""The GraphQL face: Strawberry's view over aiohttp (view.py), the schema (schema/) and its
resolvers (resolvers/), the operation gate and its document cache, the cost model's walk
(limits/), field authorization on documents (auth/), shared subscription execution (shared/)
and both WebSocket subprotocols (ws/). It translates; the rules it applies are core/'s."""
