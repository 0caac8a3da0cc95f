"""The shape of the field-level authorization keys, checked when the settings load.

`[auth] field_scopes` guards fields of the generic API; a typed topic's `field_scopes` and `mask`
guard and mask fields of its value types. Whether the types and fields they name exist is checked
at start-up, once the topics' schemas are loaded (auth/field_rules.py).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from kafka_graphql.auth.settings import AuthSettings, AuthSettingsError
from kafka_graphql.topic_settings import TopicRule, TopicSettingsError

FIELD_KEY = re.compile(r"[_A-Za-z][_0-9A-Za-z]*\.[_A-Za-z][_0-9A-Za-z]*")


def validate_field_settings(topics: tuple[TopicRule, ...], auth: AuthSettings | None) -> None:
    """Check `auth.field_scopes` and the topics' `field_scopes` and `mask`; each problem names
    its key."""
    if auth is not None:
        _check_guards(auth.field_scopes, "auth.field_scopes", AuthSettingsError)
    for i, rule in enumerate(topics):
        key = f"topics[{i}]"
        for name in ("field_scopes", "mask"):
            if not getattr(rule, name):
                continue
            if auth is None:
                # Authorization without authentication would only look like protection.
                raise TopicSettingsError(f"{key}.{name} needs an [auth] table")
            if not rule.is_typed:
                raise TopicSettingsError(
                    f"{key}.{name} needs {key}.type: it names the typed topic's own types (the "
                    "generic API's fields are guarded by auth.field_scopes)"
                )
        _check_guards(rule.field_scopes, f"{key}.field_scopes", TopicSettingsError)
        for target, scope in rule.mask.items():
            _check_target(target, f"{key}.mask", TopicSettingsError)
            _check_scope(scope, f"{key}.mask.{target}", TopicSettingsError)


def _check_guards(guards: Mapping[str, tuple[str, ...]], key: str, error: type[ValueError]) -> None:
    for target, scopes in guards.items():
        _check_target(target, key, error)
        for j, scope in enumerate(scopes):
            _check_scope(scope, f"{key}.{target}[{j}]", error)


def _check_target(target: str, key: str, error: type[ValueError]) -> None:
    if not FIELD_KEY.fullmatch(target):
        raise error(f'{key} key {target!r} must be "Type.field"')


def _check_scope(scope: str, key: str, error: type[ValueError]) -> None:
    if not scope or scope != scope.strip() or " " in scope:
        raise error(f"{key} must be a scope without spaces, got {scope!r}")
