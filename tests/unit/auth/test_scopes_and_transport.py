"""Topic scopes, and where the transports find a token."""

from __future__ import annotations

from typing import Any

import pytest

from kafka_graphql.core.auth.principal import Principal
from kafka_graphql.core.auth.scopes import may_read, may_write
from kafka_graphql.core.errors import InvalidToken, Unauthenticated
from kafka_graphql.graphql.ws.auth import connection_init_token
from kafka_graphql.http.bearer import bearer_token
from kafka_graphql.settings import TopicRule

ORDERS = TopicRule(name="shop.orders")
PATTERN = TopicRule(name="shop.*")


@pytest.mark.parametrize(
    ("scopes", "topic", "readable"),
    [
        ({"kafka:read:*"}, "shop.orders", True),
        ({"kafka:read:shop.*"}, "shop.orders", True),
        ({"kafka:read:shop.orders"}, "shop.orders", True),
        ({"kafka:read:shop.order?"}, "shop.orders", True),
        ({"kafka:read:shop.[op]rders"}, "shop.orders", True),
        ({"kafka:read:shop.payments"}, "shop.orders", False),
        ({"kafka:read:SHOP.*"}, "shop.orders", False),
        ({"kafka:read:"}, "shop.orders", False),
        ({"kafka:write:*"}, "shop.orders", False),
        ({"kafka:read"}, "shop.orders", False),
        ({"read:*"}, "shop.orders", False),
        ({"kafka:admin"}, "shop.orders", True),
        (set(), "shop.orders", False),
    ],
)
def test_read_scopes_by_convention(scopes: set[str], topic: str, readable: bool) -> None:
    assert may_read(scopes, PATTERN, topic) is readable


def test_write_is_its_own_scope() -> None:
    assert may_write({"kafka:write:shop.*"}, PATTERN, "shop.orders")
    assert not may_write({"kafka:read:*"}, PATTERN, "shop.orders")
    assert may_write({"kafka:admin"}, PATTERN, "shop.orders")


def test_topic_scopes_replace_the_convention() -> None:
    rule = TopicRule(name="shop.orders", read_scopes=("orders:read", "ops"), write_scopes=())
    assert may_read({"ops"}, rule, "shop.orders")
    assert may_read({"orders:read"}, rule, "shop.orders")
    assert not may_read({"kafka:read:*"}, rule, "shop.orders")
    # An empty list: nobody but an admin.
    assert not may_write({"kafka:write:*", "orders:read"}, rule, "shop.orders")
    assert may_write({"kafka:admin"}, rule, "shop.orders")


def test_anonymous_principal() -> None:
    anonymous = Principal.anonymous("10.0.0.7", ["kafka:read:public.*"])
    assert anonymous.id == "ip:10.0.0.7"
    assert not anonymous.authenticated
    assert anonymous.has_scope("kafka:read:public.*")
    assert anonymous.expires_at is None


@pytest.mark.parametrize(
    "header", ["Bearer abc.def.ghi", "bearer abc.def.ghi", "  Bearer  abc.def.ghi "]
)
def test_bearer_header(header: str) -> None:
    assert bearer_token(header) == "abc.def.ghi"


def test_a_header_of_another_scheme_is_no_token() -> None:
    with pytest.raises(Unauthenticated) as refused:
        bearer_token("Basic YWxpY2U6c2VjcmV0")
    assert not isinstance(refused.value, InvalidToken)  # RFC 6750: no error code


@pytest.mark.parametrize("header", ["Bearer", "Bearer ", "Bearer a b"])
def test_an_empty_or_broken_bearer_header_is_an_invalid_token(header: str) -> None:
    with pytest.raises(InvalidToken):
        bearer_token(header)


@pytest.mark.parametrize(
    "payload",
    [
        {"Authorization": "Bearer t.o.k"},
        {"authorization": "Bearer t.o.k"},
        {"Authorization": "t.o.k"},
        {"authToken": "t.o.k"},
        {"authToken": "Bearer t.o.k"},
        {"headers": {"Authorization": "Bearer t.o.k"}},
        {"headers": {"authorization": "t.o.k"}},
        {"Authorization": "Bearer t.o.k", "headers": {"Authorization": "t.o.k"}},
    ],
)
def test_connection_init_shapes(payload: dict[str, Any]) -> None:
    assert connection_init_token(payload) == "t.o.k"


@pytest.mark.parametrize("payload", [None, {}, {"other": "x"}, {"headers": "Bearer t.o.k"}])
def test_connection_init_without_a_token(payload: dict[str, Any] | None) -> None:
    assert connection_init_token(payload) is None


@pytest.mark.parametrize(
    "payload",
    [
        {"Authorization": 42},
        {"authToken": ""},
        {"Authorization": "Basic YWxpY2U6c2VjcmV0"},
        {"Authorization": "Bearer a", "authToken": "b"},
    ],
)
def test_connection_init_with_a_broken_token(payload: dict[str, Any]) -> None:
    with pytest.raises(InvalidToken):
        connection_init_token(payload)
