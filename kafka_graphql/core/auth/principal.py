"""Who is calling, as the transport established it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller of one request or one WebSocket connection. It never holds the token itself.

    `id` identifies the caller for limits and logs: the token's subject, or `ip:<address>` for
    an anonymous caller (and for every caller of a gateway without `[auth]`).
    """

    id: str
    # The token's `sub`; None when the caller is anonymous.
    subject: str | None = None
    scopes: frozenset[str] = frozenset()
    # The token's string claims (`tenant`, `email`, ...), which record rules compare against.
    claims: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    # The token's `exp` (seconds since the epoch); None for an anonymous caller.
    expires_at: float | None = None

    @property
    def authenticated(self) -> bool:
        return self.subject is not None

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    @classmethod
    def anonymous(cls, remote: str | None, scopes: Iterable[str] = ()) -> Principal:
        return cls(id=f"ip:{remote or 'unknown'}", scopes=frozenset(scopes))

    @classmethod
    def from_claims(cls, claims: Mapping[str, object]) -> Principal:
        """A verified token's principal (its `sub` and `exp` are checked by then)."""
        subject = claims["sub"]
        assert isinstance(subject, str)
        expires = claims["exp"]
        assert isinstance(expires, int | float | str)
        return cls(
            id=subject,
            subject=subject,
            scopes=frozenset(token_scopes(claims)),
            claims=MappingProxyType({k: v for k, v in claims.items() if isinstance(v, str)}),
            expires_at=float(expires),
        )


def token_scopes(claims: Mapping[str, object]) -> set[str]:
    """Scopes as identity providers write them: `scope` (space-separated, RFC 8693/9068),
    `scp` (an array, or space-separated as Azure AD does) and `permissions` (Auth0's array)."""
    scopes: set[str] = set()
    for name in ("scope", "scp", "permissions"):
        value = claims.get(name)
        if isinstance(value, str):
            scopes.update(value.split())
        elif isinstance(value, list):
            scopes.update(s for s in value if isinstance(s, str) and s and not s.isspace())
    return scopes
