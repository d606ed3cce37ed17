"""Who may do what: three roles, ordered, and the principal a request acts as."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from tocsin.core.errors import DomainError, ErrorKind, InvalidInput


class AccessRole(StrEnum):
    VIEWER = "viewer"
    RESPONDER = "responder"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return list(AccessRole).index(self)

    def allows(self, needed: AccessRole) -> bool:
        return self.rank >= needed.rank

    @classmethod
    def parse(cls, text: str) -> AccessRole:
        try:
            return cls(text.strip().lower())
        except ValueError:
            valid = ", ".join(r.value for r in cls)
            raise InvalidInput(f"unknown role {text!r}; valid roles: {valid}") from None


class Unauthenticated(DomainError):
    """No valid credentials. Says nothing about which part was wrong."""

    kind = ErrorKind.UNAUTHENTICATED

    def __init__(self, message: str = "wrong username or password") -> None:
        super().__init__(message)


class Forbidden(DomainError):
    kind = ErrorKind.FORBIDDEN

    def __init__(self, principal: Principal, needed: AccessRole) -> None:
        self.needed = needed
        super().__init__(
            f"{principal.name} is {principal.role.value}; this needs {needed.value} or above"
        )


class NotOwnAccount(DomainError):
    """A credential asked to change the password of someone it does not act for."""

    kind = ErrorKind.FORBIDDEN


@dataclass(frozen=True, slots=True)
class Principal:
    """The person or token a request acts as. `user_id` and `user` name the person behind it:
    the session's user, or the user a token belongs to (None for a token nobody owns)."""

    name: str
    role: AccessRole
    kind: str  # "user", "token" or "local"
    user_id: int | None = None
    user: str | None = None

    def require(self, needed: AccessRole) -> None:
        if not self.role.allows(needed):
            raise Forbidden(self, needed)


LOCAL_ADMIN = Principal("local", AccessRole.ADMIN, "local")
