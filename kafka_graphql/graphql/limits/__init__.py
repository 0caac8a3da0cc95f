"""The cost model's GraphQL walk: query cost (a pure function of the document, the schema and
the variables), structural limits, and the one entry point the gate calls (docs/limits.md)."""
