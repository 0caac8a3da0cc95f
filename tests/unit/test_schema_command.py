"""`kafka-graphql schema --config FILE` prints the SDL, typed topics included."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kafka_graphql.cli import main

SCHEMAS = Path(__file__).parents[1] / "fixtures" / "schemas"


def test_schema_command_prints_the_typed_api(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "gateway.toml"
    config.write_text(
        f"""
[[topics]]
name = "shop.orders"
type = "Order"
value_schema = "{SCHEMAS / "order.schema.json"}"

[[topics]]
name = "shop.payments"
type = "Payment"
value_schema = "{SCHEMAS / "payment.avsc"}"
value_format = "avro"
"""
    )
    main(["schema", "--config", str(config)])
    sdl = capsys.readouterr().out
    for expected in (
        "type OrderMessage {",
        "  value: Order\n",
        "  rawValue: JSON\n",
        "  schemaErrors: [String!]!\n",
        # The issue's contract, to the letter: no `= null` defaults.
        "orders(first: Int = 20, after: Cursor, fromOffset: Long, fromTimestamp: DateTime, "
        "partitions: [Int!], where: OrderWhere, onGap: OnGap! = REPORT): OrderConnection!",
        "orders(where: OrderWhere, after: Cursor, fromOffset: Long, fromTimestamp: DateTime, "
        "partitions: [Int!], onGap: OnGap! = REPORT): OrderMessage!",
        "produceOrder(value: OrderInput!, key: String, headers: [HeaderInput!], partition: Int): "
        "ProduceResult!",
        "input OrderMessageInput {\n  value: OrderInput!\n  key: String\n  headers: "
        "[HeaderInput!]\n  partition: Int\n}",
        "produceOrders(messages: [OrderMessageInput!]!): [ProduceResult!]!",
        "input OrderCustomerInput {",
        "union PaymentMethod = Card | Transfer",
        "input PaymentMethodInput @oneOf {",
        'legacy: String @deprecated(reason: "deprecated in the schema")',
        "type OrderEdge {\n  cursor: Cursor!\n  node: OrderMessage!\n}",
    ):
        assert expected in sdl
    # The same configuration gives the same SDL (snapshots and codegen depend on it).
    main(["schema", "--config", str(config)])
    assert capsys.readouterr().out == sdl


def test_schema_command_fails_with_one_line_on_a_bad_schema(tmp_path: Path) -> None:
    schema = tmp_path / "bad.schema.json"
    schema.write_text('{"type": "object", "properties": {"a": {"allOf": [{"type": "string"}]}}}')
    config = tmp_path / "gateway.toml"
    config.write_text(f'[[topics]]\nname = "t"\ntype = "T"\nvalue_schema = "{schema}"\n')
    with pytest.raises(SystemExit) as exit_info:
        main(["schema", "--config", str(config)])
    assert '"allOf" is not supported' in str(exit_info.value)


def test_the_sdl_of_an_evolved_schema(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A field added with a default is optional to write; a dropped field that `deprecated`
    keeps is read and filtered on, and never written."""
    schema = tmp_path / "refund.avsc"
    schema.write_text(
        json.dumps(
            {
                "type": "record",
                "name": "Refund",
                "fields": [
                    {"name": "id", "type": "string"},
                    {"name": "channel", "type": "string", "default": "web"},
                ],
            }
        )
    )
    config = tmp_path / "gateway.toml"
    config.write_text(
        f"""
[[topics]]
name = "shop.refunds"
type = "Refund"
value_schema = "{schema}"
value_format = "avro"
deprecated = {{ "Refund.note" = "use channel" }}
deprecated_types = {{ "Refund.note" = "String" }}
"""
    )
    main(["schema", "--config", str(config)])
    sdl = capsys.readouterr().out
    output = sdl[sdl.index("type Refund {") :].split("}")[0]
    assert "  channel: String!\n" in output
    assert '  note: String @deprecated(reason: "use channel")\n' in output
    written = sdl[sdl.index("input RefundInput {") :].split("}")[0]
    assert "  channel: String\n" in written and "note" not in written
    assert "Not given or null: the schema's default." in written
    where = sdl[sdl.index("input RefundWhere {") :].split("}")[0]
    assert '  note: StringFilter @deprecated(reason: "use channel")\n' in where
