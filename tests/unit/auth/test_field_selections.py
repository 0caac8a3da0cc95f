"""The fields an operation selects, as field-level authorization finds them in the document:
through aliases, named, inline and nested fragments, on every root type."""

from __future__ import annotations

import pytest
from graphql import build_schema, get_operation_ast, parse, validate

from kafka_graphql.graphql.auth.selections import selected_fields

SCHEMA = build_schema(
    """
    interface Node { id: ID! secret: String }
    type Customer implements Node { id: ID! secret: String email: String }
    type Item { sku: String count: Int }
    type Order { id: ID! customer: Customer items: [Item!]! }
    union Thing = Order | Customer
    type Query { order: Order things: [Thing!]! node: Node }
    type Mutation { place: Order }
    type Subscription { orders: Order }
    """
)


def selected(document: str, operation_name: str | None = None) -> list[str]:
    parsed = parse(document)
    assert validate(SCHEMA, parsed) == []
    operation = get_operation_ast(parsed, operation_name)
    assert operation is not None
    return [f"{s.type_name}.{s.field_name}" for s in selected_fields(SCHEMA, parsed, operation)]


def test_plain_selections_in_document_order() -> None:
    assert selected("{ order { id customer { email } } }") == [
        "Query.order",
        "Order.id",
        "Order.customer",
        "Customer.email",
    ]


def test_aliases_name_the_field_they_select() -> None:
    fields = selected("{ o: order { c: customer { mail: email } other: customer { id } } }")
    assert fields == ["Query.order", "Order.customer", "Customer.email", "Customer.id"]


def test_named_fragments_nested_and_spread_twice() -> None:
    document = """
    query { order { ...OrderParts } again: order { ...OrderParts } }
    fragment OrderParts on Order { id customer { ...Contact } }
    fragment Contact on Customer { email }
    """
    assert selected(document) == [
        "Query.order",
        "Order.id",
        "Order.customer",
        "Customer.email",
    ]


def test_inline_fragments_with_and_without_a_type_condition() -> None:
    document = """
    { things { ... on Order { items { ... { count } } } ... on Customer { email } } }
    """
    assert selected(document) == [
        "Query.things",
        "Order.items",
        "Item.count",
        "Customer.email",
    ]


def test_a_fragment_inside_an_inline_fragment_inside_a_fragment() -> None:
    document = """
    { order { ...A } }
    fragment A on Order { ... on Order { customer { ...B } } }
    fragment B on Customer { ... { email } }
    """
    assert "Customer.email" in selected(document)


def test_only_the_chosen_operation_counts() -> None:
    document = """
    query Plain { order { id } }
    query Deep { order { ...F } }
    fragment F on Order { customer { email } }
    """
    assert selected(document, "Plain") == ["Query.order", "Order.id"]
    assert "Customer.email" in selected(document, "Deep")


def test_a_field_on_an_interface_is_also_every_implementation_s() -> None:
    assert selected("{ node { secret } }") == ["Query.node", "Node.secret", "Customer.secret"]


def test_meta_fields_are_left_out() -> None:
    assert selected("{ __typename order { __typename id } }") == ["Query.order", "Order.id"]


@pytest.mark.parametrize(
    ("document", "root"),
    [
        ("mutation { place { customer { email } } }", "Mutation.place"),
        ("subscription { orders { customer { email } } }", "Subscription.orders"),
    ],
)
def test_mutations_and_subscriptions_select_what_they_return(document: str, root: str) -> None:
    assert selected(document) == [root, "Order.customer", "Customer.email"]


def test_skip_and_include_are_not_evaluated() -> None:
    document = """
    query($no: Boolean = false) {
      order { customer @include(if: $no) { email } id @skip(if: true) }
    }
    """
    assert selected(document) == ["Query.order", "Order.customer", "Customer.email", "Order.id"]


def walk_unvalidated(document: str) -> list[str]:
    """The walk runs with validation, so it must also get through documents that fail it."""
    parsed = parse(document)
    operation = get_operation_ast(parsed)
    assert operation is not None
    return [f"{s.type_name}.{s.field_name}" for s in selected_fields(SCHEMA, parsed, operation)]


def test_documents_that_fail_validation_are_walked_without_harm() -> None:
    circular = """
    { order { ...A } }
    fragment A on Order { customer { ...B } }
    fragment B on Customer { email ... on Customer { ...C } }
    fragment C on Customer { ...B id }
    """
    assert walk_unvalidated(circular) == [
        "Query.order",
        "Order.customer",
        "Customer.email",
        "Customer.id",
    ]
    unknown = "{ order { nope { email } ...Missing ... on Nowhere { id } customer { email } } }"
    assert walk_unvalidated(unknown) == ["Query.order", "Order.customer", "Customer.email"]


def test_a_long_chain_of_fragments_is_no_recursion() -> None:
    # The parser bounds how deep a selection nests, not how many fragments spread one another.
    length = 3000
    chain = [f"fragment F{i} on Query {{ ...F{i + 1} }}" for i in range(length)]
    chain.append(f"fragment F{length} on Query {{ order {{ customer {{ email }} }} }}")
    parsed = parse("{ ...F0 }\n" + "\n".join(chain), max_tokens=None, no_location=True)
    operation = get_operation_ast(parsed)
    assert operation is not None
    fields = [s.field_name for s in selected_fields(SCHEMA, parsed, operation)]
    assert fields == ["order", "customer", "email"]
