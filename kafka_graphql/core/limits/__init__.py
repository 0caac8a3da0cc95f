"""Per-caller budgets every face shares: leaky buckets for cost points and produce rates, bytes
held per caller and per process, delivery budgets, and the bounded registry that holds them
(docs/limits.md)."""
