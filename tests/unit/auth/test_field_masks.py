"""What a caller sees of a typed topic's plain values under the field rules: masked fields null,
guarded fields left out, through nested objects, lists and unions, and the shared decoded value
never changed."""

from __future__ import annotations

import copy
from typing import Any

from kafka_graphql.core.auth.field_masks import FULL_VIEW, ValueMasker
from kafka_graphql.core.auth.field_rules import FieldRules
from kafka_graphql.core.typed.json_schema import json_schema_model
from tests.unit.typed.helpers import fixture

MODEL = json_schema_model("shop.orders", "Order", fixture("order.schema.json"), "order.json")
RULES = FieldRules(
    guards={("Order", "customer"): ("orders:customer", "orders:pii"), ("LineItem", "count"): ()},
    masks={
        ("OrderCustomer", "email"): "orders:pii",
        ("Order", "quantity"): "orders:quantity",
        ("BankTransfer", "iban"): "payments:iban",
    },
)


def order(**changes: Any) -> dict[str, Any]:
    value: dict[str, Any] = {
        "id": "o-1",
        "quantity": 2,
        "customer": {"name": "Ada", "email": "ada@example.com"},
        "billing": {"city": "Paris"},
        "items": [{"sku": "TEA-1", "count": 1}, {"sku": "CUP-2", "count": 3}],
        "payment": {"kind": "transfer", "iban": "FR76 3000"},
        "metadata": {"email": "not a model field: JSON is opaque"},
    }
    value.update(changes)
    return value


def test_a_caller_without_scopes_sees_masked_fields_null_and_guarded_ones_left_out() -> None:
    view = ValueMasker(MODEL, RULES).view(set())
    assert not view.full
    value = order()
    assert view.value(value) == {
        "id": "o-1",
        "quantity": None,
        "billing": {"city": "Paris"},
        "items": [{"sku": "TEA-1"}, {"sku": "CUP-2"}],
        "payment": {"kind": "transfer", "iban": None},
        "metadata": {"email": "not a model field: JSON is opaque"},
    }


def test_one_scope_of_a_guard_lets_the_field_in_and_masks_inside_still_hold() -> None:
    view = ValueMasker(MODEL, RULES).view({"orders:customer"})
    seen = view.value(order())
    assert isinstance(seen, dict)
    assert seen["customer"] == {"name": "Ada", "email": None}
    assert seen["quantity"] is None


def test_the_shared_value_is_never_changed_and_untouched_parts_are_not_copied() -> None:
    value = order()
    before = copy.deepcopy(value)
    seen = ValueMasker(MODEL, RULES).view({"orders:pii"}).value(value)
    assert value == before
    assert isinstance(seen, dict)
    assert seen is not value
    assert seen["billing"] is value["billing"]
    assert seen["metadata"] is value["metadata"]
    assert seen["customer"] is value["customer"]  # orders:pii sees the whole customer


def test_kafka_admin_gets_the_value_itself() -> None:
    view = ValueMasker(MODEL, RULES).view({"kafka:admin"})
    value = order()
    assert view is FULL_VIEW
    assert view.value(value) is value


def test_an_empty_scope_list_leaves_only_kafka_admin() -> None:
    view = ValueMasker(MODEL, RULES).view({"orders:pii", "orders:quantity", "payments:iban"})
    assert (view.nulled, view.omitted) == (frozenset(), frozenset({("LineItem", "count")}))


def test_a_masked_field_is_null_whether_the_value_has_it_or_not() -> None:
    view = ValueMasker(MODEL, RULES).view({"orders:customer"})
    seen = view.value(order(customer={"name": "Bob"}))
    assert isinstance(seen, dict)
    assert seen["customer"] == {"name": "Bob", "email": None}


def test_union_members_are_told_apart_before_their_fields_are_masked() -> None:
    view = ValueMasker(MODEL, RULES).view(set())
    card = {"kind": "card", "last4": "4242"}
    seen = view.value(order(payment=card))
    assert isinstance(seen, dict)
    assert seen["payment"] is card


def test_values_of_another_shape_pass_as_they_are() -> None:
    # The typed API only masks values that matched the schema; this is the masker's own rule.
    view = ValueMasker(MODEL, RULES).view({"orders:customer"})
    odd = order(customer="Ada <ada@example.com>", items={"sku": "x"})
    seen = view.value(odd)
    assert isinstance(seen, dict)
    assert seen["customer"] == "Ada <ada@example.com>"
    assert seen["items"] == {"sku": "x"}
    assert view.value(None) is None


def test_rules_of_types_the_topic_does_not_have_change_nothing() -> None:
    masker = ValueMasker(MODEL, FieldRules(masks={("Shipment", "address"): "x"}))
    assert not masker.has_rules
    assert masker.view(set()) is FULL_VIEW
