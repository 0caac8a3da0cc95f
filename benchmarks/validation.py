"""V1: the slowest documents a caller can send within the default limits, and how long the gateway
takes to validate each (docs/limits.md#validation-is-linear). Needs no broker:

    python -m benchmarks.validation            # the table
    python -m benchmarks V1                    # the same, as a row of the suite (make bench)

Each family of hostile documents (spread chains, wide and deep selections, many fragments,
directives, variables and operations, same-named fields, large literals) is grown to the largest
size the default caps admit (`limits.max_query_tokens` and the structural caps of
graphql/limits/structure.py), against the generic schema and the typed demo schema
(docs/demo-schema.graphql). Validation is what the operation gate does with a new document: the
structural caps, then graphql-core's rules (Strawberry's and the gateway's added). The same
families beyond the caps are measured too: the time it takes to refuse them.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    GraphQLSyntaxError,
    build_schema,
    parse,
    specified_rules,
)

from benchmarks.hostile_documents import GENERIC, TYPED, TYPED_TOO, Family
from kafka_graphql.graphql.documents import token_count
from kafka_graphql.graphql.gate import validate_rules
from kafka_graphql.graphql.limits.cost import CostModel
from kafka_graphql.graphql.limits.merges import merge_pairs
from kafka_graphql.graphql.limits.shape import fragments_of, measure, roots
from kafka_graphql.graphql.limits.structure import StructuralLimits
from kafka_graphql.graphql.schema import build_schema as gateway_schema
from kafka_graphql.graphql.validation_caches import IdentityCaches
from kafka_graphql.settings.limits import LimitsSettings

DEMO_SDL = Path(__file__).parent.parent / "docs" / "demo-schema.graphql"
# What the gate validates with in the development profile (introspection allowed: more to
# validate than with it refused), as graphql/schema/build.py puts it together.
RULES = (*specified_rules, IdentityCaches)
TARGET_MS = 20.0
REPEATS = 15


@dataclass
class Measured:
    family: str
    schema: str
    size: int
    tokens: int
    expanded_fields: int
    merge_pairs: int
    refusal: str  # the first error, if any ("" when the document is valid)
    parse_ms: float
    validate_ms: float  # median CPU time
    validate_min_ms: float
    cost_ms: float | None  # the cost walk (median), for a document that validates


class Target:
    def __init__(self, name: str, schema: GraphQLSchema, limits: LimitsSettings) -> None:
        self.name = name
        self.schema = schema
        self.limits = limits
        self.structure = StructuralLimits(limits)
        self.costs = CostModel(schema, max_page_size=limits.max_page_size)

    def parse(self, text: str) -> DocumentNode | None:
        try:
            return parse(text, max_tokens=self.limits.max_query_tokens)
        except GraphQLSyntaxError:
            return None

    def validate(self, document: DocumentNode) -> list[GraphQLError]:
        """What the gate does with a new document (graphql/gate.py, OperationGate._validate)."""
        return self.structure.check(document) or validate_rules(self.schema, document, RULES)

    def admitted(self, text: str) -> bool:
        document = self.parse(text)
        return document is not None and not self.structure.check(document)


def largest(target: Target, family: Family, admitted: bool = True) -> int:
    """The largest size of `family` that parses (within max_query_tokens) and, when `admitted`,
    passes the structural caps."""

    def fits(n: int) -> bool:
        text = family(n)
        return target.admitted(text) if admitted else target.parse(text) is not None

    if not fits(1):
        return 0
    low, high = 1, 2
    while fits(high):
        low, high = high, high * 2
        if high > 100_000:
            return low
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if fits(middle) else (low, middle)
    return low


def _median_ms(run: Callable[[], object], repeats: int) -> tuple[float, float]:
    """The median and least CPU time of `run`, in ms: the thread's CPU time, which another
    process busy on the same cores does not inflate (the suite's figures are CPU too)."""
    run()  # warm: first calls build caches of the schema
    times = []
    for _ in range(repeats):
        started = time.thread_time()
        run()
        times.append((time.thread_time() - started) * 1000)
    return statistics.median(times), min(times)


def measure_one(target: Target, family: str, text: str, size: int, repeats: int) -> Measured:
    started = time.thread_time()
    document = target.parse(text)
    parse_ms = (time.thread_time() - started) * 1000
    assert document is not None
    errors = target.validate(document)
    median, least = _median_ms(lambda: target.validate(document), repeats)
    cost_ms = None
    if not errors:
        cost_ms, _ = _median_ms(
            lambda: target.costs.operation_cost(document, {}, _first_operation(document)), repeats
        )
    fragments = fragments_of(document)
    cap = 10**9
    return Measured(
        family=family,
        schema=target.name,
        size=size,
        tokens=token_count(document),
        expanded_fields=measure(document, cap).fields,
        merge_pairs=merge_pairs(roots(document, fragments), fragments, cap),
        refusal=errors[0].message if errors else "",
        parse_ms=parse_ms,
        validate_ms=median,
        validate_min_ms=least,
        cost_ms=cost_ms,
    )


def _first_operation(document: DocumentNode) -> str | None:
    for definition in document.definitions:
        name = getattr(definition, "name", None)
        if getattr(definition, "operation", None) is not None:
            return name.value if name is not None else None
    return None


def targets(limits: LimitsSettings | None = None) -> list[tuple[Target, dict[str, Family]]]:
    limits = limits or LimitsSettings()
    generic = gateway_schema(limits)._schema
    typed = build_schema(DEMO_SDL.read_text())
    return [
        (Target("generic", generic, limits), GENERIC),
        (Target("typed demo", typed, limits), {**GENERIC, **TYPED}),
    ]


def run_all(repeats: int = REPEATS) -> tuple[list[Measured], list[Measured]]:
    """Every family at its largest admitted size, and beyond the caps (as large as the token
    cap allows) where that is larger: (admitted, refused)."""
    admitted: list[Measured] = []
    refused: list[Measured] = []
    for target, families in targets():
        for name, family in families.items():
            if target.name != "generic" and name in GENERIC and name not in TYPED_TOO:
                continue  # the generic families once, on the generic schema
            size = largest(target, family)
            if size:
                admitted.append(measure_one(target, name, family(size), size, repeats))
            beyond = largest(target, family, admitted=False)
            if beyond > size:
                refused.append(measure_one(target, name, family(beyond), beyond, repeats))
    return admitted, refused


def table(rows: list[Measured]) -> str:
    header = (
        "family",
        "schema",
        "n",
        "tokens",
        "expanded",
        "pairs",
        "parse ms",
        "validate ms",
        "min",
        "cost ms",
        "refusal",
    )
    lines = [header]
    for m in rows:
        lines.append(
            (
                m.family,
                m.schema,
                str(m.size),
                str(m.tokens),
                str(m.expanded_fields),
                str(m.merge_pairs),
                f"{m.parse_ms:.1f}",
                f"{m.validate_ms:.1f}",
                f"{m.validate_min_ms:.1f}",
                "-" if m.cost_ms is None else f"{m.cost_ms:.1f}",
                m.refusal[:60],
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    return "\n".join(
        " | ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) for line in lines
    )


def main() -> int:
    admitted, refused = run_all()
    print("Within the default caps (the slowest a caller can send):")
    print(table(sorted(admitted, key=lambda m: -m.validate_ms)))
    print("\nBeyond them (refused):")
    print(table(sorted(refused, key=lambda m: -m.validate_ms)))
    slowest = max(admitted, key=lambda m: m.validate_ms)
    verdict = "pass" if slowest.validate_ms <= TARGET_MS else "MISS"
    print(
        f"\nslowest: {slowest.family} ({slowest.schema}): {slowest.validate_ms:.1f} ms CPU, "
        f"target <= {TARGET_MS:.0f} ms: {verdict}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
