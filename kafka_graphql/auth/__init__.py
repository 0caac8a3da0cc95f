"""Authentication (bearer JWTs, made into a principal by the transport) and the topic scopes
that authorization checks."""

from kafka_graphql.auth.authenticator import Authenticator
from kafka_graphql.auth.settings import AuthSettings, AuthSettingsError
from kafka_graphql.core.auth.principal import Principal

__all__ = ["AuthSettings", "AuthSettingsError", "Authenticator", "Principal"]
