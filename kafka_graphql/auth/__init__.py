"""The `[auth]` settings (auth/settings.py, auth/field_settings.py). Authentication and
authorization live with who does them: principals, scopes, tokens and field rules in core/auth/,
the bearer middleware and the authenticator in http/auth/, `connection_init` in graphql/ws/."""

from kafka_graphql.auth.settings import AuthSettings

__all__ = ["AuthSettings"]
