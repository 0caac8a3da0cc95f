"""Authentication (bearer JWTs, made into a principal by the transport) and the topic scopes
that authorization checks."""

from kafka_graphql.auth.authenticator import Authenticator
from kafka_graphql.auth.principal import Principal
from kafka_graphql.auth.settings import AuthSettings

__all__ = ["AuthSettings", "Authenticator", "Principal"]
