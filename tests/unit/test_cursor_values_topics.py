from __future__ import annotations

from kafka_graphql.core.topics import TopicRegistry
from kafka_graphql.core.values import decode_text, decode_value, encode_value
from kafka_graphql.settings import TopicRule


def test_values_decode_json_then_text_then_base64() -> None:
    # Every other case, and the limits: tests/unit/test_record_values.py.
    assert decode_value(b'{"a": [1, 2.5, null]}') == ({"a": [1, 2.5, None]}, None)
    assert decode_value(b'"quoted"') == ("quoted", None)
    assert decode_value(b"hello world") == ("hello world", None)
    assert decode_value(b"\xff\x00") == ({"$binary": {"encoding": "base64", "data": "/wA="}}, None)
    assert decode_value(None) == (None, None)
    assert decode_text(b"\xff") == (None, b"\xff")
    assert encode_value({"ü": 1}) == '{"ü":1}'.encode()


def test_topic_exposure_rules() -> None:
    registry = TopicRegistry([TopicRule(name="orders", partitions=3), TopicRule(name="events.*")])
    assert registry.is_exposed("orders")
    assert registry.is_exposed("events.clicks")
    assert not registry.is_exposed("orders2")
    assert not registry.is_exposed("payments")
    assert not TopicRegistry([TopicRule(name="*")]).is_exposed("__consumer_offsets")
    assert registry.exposed(["payments", "orders", "events.a"]) == ("events.a", "orders")
    assert registry.topics_to_create() == {"orders": 3}
