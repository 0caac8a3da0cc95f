"""The cap on the messages one produce writes (`limits.max_batch_size`).

Refused by the cost model before the request is priced, as well as by the resolver: a batch no
setting would ever let through must cost the caller nothing, whatever its budget holds now.
"""

from __future__ import annotations

from kafka_graphql.core.errors import BadUserInput


def batch_refusal(count: int, limit: int) -> BadUserInput:
    """The BAD_USER_INPUT for `count` messages in one produce."""
    return BadUserInput(
        f"messages must hold 1 to {limit} messages (limits.max_batch_size), got {count}",
        path=["messages"],
    )
