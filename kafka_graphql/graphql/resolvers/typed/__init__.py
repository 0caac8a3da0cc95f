"""Resolvers of the typed topics' generated fields, bound per topic as closures."""
