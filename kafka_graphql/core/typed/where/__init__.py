"""Typed filters (`<Root>Where`): input specs for the GraphQL binder and compiled predicates.

Input types
- `<Root>Where { and or not key: StringFilter <one entry per field> }`; a nested object's
  `<Type>Where` has the same entries but no `key` (when the root type itself appears nested, its
  where keeps `key`, which always tests the record key).
- Scalars: `StringFilter { eq ne in notIn contains startsWith endsWith exists }`,
  `IntFilter`/`LongFilter`/`FloatFilter`/`DateTimeFilter { eq ne in notIn gt gte lt lte exists }`,
  `BooleanFilter { eq ne exists }`, enums `<Enum>Filter { eq ne in notIn exists }`.
- Lists: of objects `<Item>ListWhere { some every none: <Item>Where, isEmpty: Boolean }`; of
  scalars or enums `<Scalar>ListFilter { some every none: <Scalar>Filter, isEmpty: Boolean }`.
- BYTES fields filter as strings (`StringFilter` on the base64 text). JSON fields, unions, lists
  of either and lists of lists get no entry; nor does a field named `and`, `or` or `not` (or
  `key` in the root type), since the where's own entry has that name.

Meaning
- Entries set in one input object are ANDed. An explicit null, or an input object that sets
  nothing (`{}`), is no condition: it matches everything, missing and null values included.
- As in SQL, Hasura and Prisma, a missing or null value fails every operator except `exists`
  (`ne: X` does not match null). `exists: true` is present and not null; `exists: false` is
  missing or null. A value not of the field's kind (a record the schema did not validate) is
  present, and fails every operator but `exists`.
- A nested `<Type>Where` or a list filter that sets anything needs the object (a list) to be
  present, so `customer: {name: {exists: false}}` does not match a null customer.
- Lists: `some` is at least one item matches, `every` all (true for `[]`), `none` no item;
  `isEmpty: true` matches `[]` only and `isEmpty: false` a non-empty list. A missing or null
  list fails them all: `or: [{tags: {isEmpty: true}}, {tags: {isEmpty: false}}]` says "present".
  A null item fails every item condition but `exists: false`.
- `and: []` matches everything and `or: []` nothing, as in Prisma; `not: {}` matches nothing.
- `contains`/`startsWith`/`endsWith` are case-sensitive. Numbers compare by value across Int,
  Long and Float (longs beyond 2^53 exactly). DateTimes compare by instant: record strings and
  operands (datetimes or ISO 8601 strings) become aware datetimes, UTC when without an offset.
- Enum operands must be values of the enum (their names, as strings).

Bounds (a public endpoint must not let one filter cost unbounded CPU per record): at most
MAX_DEPTH levels of nested where objects, `limits.max_filter_conditions` conditions and
`limits.max_in_values` values per `in`/`notIn` (size.py says what counts); beyond them
compile_where raises BadUserInput with `extensions.path`.
"""

from kafka_graphql.core.typed.where.compile import Predicate, compile_where
from kafka_graphql.core.typed.where.inputs import (
    FilterNameConflict,
    InputField,
    InputSpec,
    filter_inputs,
    input_specs,
    scalar_filter_inputs,
)
from kafka_graphql.core.typed.where.size import MAX_DEPTH, WhereReport, inspect_where

__all__ = [
    "MAX_DEPTH",
    "FilterNameConflict",
    "InputField",
    "InputSpec",
    "Predicate",
    "WhereReport",
    "compile_where",
    "filter_inputs",
    "input_specs",
    "inspect_where",
    "scalar_filter_inputs",
]
