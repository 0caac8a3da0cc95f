"""What every HTTP face uses: the app's middlewares (allowed hosts, CORS, bearer authentication,
the last line of defence), strict request reading and the one coded JSON error body, CSRF,
WebSocket compression, and health and readiness. No GraphQL here: the GraphQL face (graphql/)
builds on it."""
