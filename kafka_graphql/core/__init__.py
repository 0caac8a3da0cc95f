"""What every face shares, in no face's terms: topics and their exposure, principals and scopes,
record rules, field masks, typed values, cursors, filters' predicates, per-caller budgets and the
one error vocabulary. It imports neither Strawberry, graphql-core nor aiohttp, nor any face
(the contracts in pyproject.toml, `[tool.importlinter]`)."""
