"""Field-level authorization of a document: the fields and filter arguments an operation selects,
checked against the field rules (core/auth/field_rules.py) before any resolver runs."""
