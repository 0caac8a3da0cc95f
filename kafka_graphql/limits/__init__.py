"""The `[limits]` settings (limits/settings.py). What the limits do lives with who enforces them:
per-caller budgets and bytes held in core/limits/, the cost model in graphql/limits/
(docs/limits.md)."""

from kafka_graphql.limits.settings import LimitsSettings

__all__ = ["LimitsSettings"]
