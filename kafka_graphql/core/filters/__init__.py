"""Record filters as predicates (the generic `filter` argument; typed `where` filters compile to
the same kind: core/typed/where/), with their size bounds and value paths."""
