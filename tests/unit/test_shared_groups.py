"""The key of shared subscription execution (kafka_graphql/graphql/shared/groups.py): subscribers
share bytes only when everything that shapes a payload is equal; two callers whose field masks,
scopes or record-rule claims differ never share a group."""

from __future__ import annotations

import json
from typing import Any

from graphql import build_schema, parse

from kafka_graphql.core.auth.field_masks import FULL_VIEW, ValueMasker
from kafka_graphql.core.auth.field_rules import FieldRules
from kafka_graphql.core.limits.ledger import Ledger
from kafka_graphql.core.typed.json_schema import json_schema_model
from kafka_graphql.graphql.shared import GroupKey, SharedGroups, frame_around, group_key
from kafka_graphql.settings.limits import LimitsSettings
from tests.unit.typed.helpers import fixture

MODEL = json_schema_model("shop.orders", "Order", fixture("order.schema.json"), "order.json")
MASKER = ValueMasker(
    MODEL,
    FieldRules(guards={}, masks={("OrderCustomer", "email"): "orders:pii"}),
)
QUERY = "subscription($t: String!) { messages(topic: $t) { offset } }"


def key(**changes: Any) -> GroupKey:
    arguments: dict[str, Any] = {
        "topic": "orders",
        "query": QUERY,
        "operation_name": None,
        "variables": {"t": "orders", "filter": {"key": "k"}},
        "scopes": frozenset({"kafka:read:*"}),
        "view": FULL_VIEW,
        "record_claim": None,
        **changes,
    }
    return group_key(**arguments)


def test_equal_operations_and_views_share_a_key_whatever_the_order_of_the_variables() -> None:
    same = key(variables={"filter": {"key": "k"}, "t": "orders"})
    assert same == key()
    assert hash(same) == hash(key())


def test_what_shapes_a_payload_splits_groups() -> None:
    others = [
        key(topic="payments"),
        key(query=QUERY.replace("offset", "offset cursor")),
        key(operation_name="Named"),
        key(variables={"t": "orders", "filter": {"key": "other"}}),
        key(variables={"t": "orders"}),
    ]
    assert len({key(), *others}) == 1 + len(others)


def test_callers_with_other_masks_never_share() -> None:
    without_pii = MASKER.view({"kafka:read:*"})
    with_pii = MASKER.view({"kafka:read:*", "orders:pii"})
    assert without_pii != with_pii
    assert key(view=without_pii) != key(view=with_pii)
    # The scopes are in the key too, whatever view they make.
    assert key(scopes=frozenset({"a"})) != key(scopes=frozenset({"a", "b"}))


def test_callers_with_other_record_claims_never_share() -> None:
    claims = [key(record_claim=("tenant-a",)), key(record_claim=("tenant-b",))]
    # No claim (sees nothing) and no rule binding the caller (an admin) are not the same either.
    claims += [key(record_claim=(None,)), key(record_claim=None)]
    assert len(set(claims)) == len(claims)


SCHEMA = build_schema(
    """
    type Query { x: Int }
    type Subscription { messages(topic: String!): M }
    type M { offset: Int, cursor: String }
    """
)


class Event:
    """A message as the group reads it; the root field `messages` resolves to itself."""

    def __init__(self, offset: int, positions: dict[int, int]) -> None:
        self.partition, self.offset, self.positions, self.skipped = 0, offset, positions, 0
        self.cursor = f"c{positions}"
        self.messages = self


async def test_a_group_executes_a_record_once_per_positions_and_lives_while_it_has_members() -> (
    None
):
    settings = LimitsSettings()
    groups = SharedGroups(json.dumps, settings, Ledger(settings))
    document = parse('subscription { messages(topic: "t") { offset cursor } }')
    with groups.member(key(), SCHEMA, document, None, None) as first:
        with groups.member(key(), SCHEMA, document, None, None) as second:
            assert first is second
            assert first is not None and second is not None
            one = await first.payload(Event(1, {0: 2}))
            assert await second.payload(Event(1, {0: 2})) == one
            assert first.executions == 1
            # The same record at other positions has another cursor: executed again.
            assert await second.payload(Event(1, {0: 5})) != one
            assert first.executions == 2
        assert len(groups) == 1
    assert len(groups) == 0
    assert one is not None
    assert json.loads(one) == {"data": {"messages": {"offset": 1, "cursor": "c{0: 2}"}}}


def test_the_frame_around_a_payload_is_what_the_encoder_writes() -> None:
    frame = {"id": "7", "type": "next"}
    head, tail = frame_around(json.dumps, frame)
    assert isinstance(head, str) and isinstance(tail, str)
    payload = json.dumps({"data": {"a": 1}})
    assert head + payload + tail == json.dumps({**frame, "payload": {"data": {"a": 1}}})
