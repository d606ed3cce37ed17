"""Users, API tokens and web sessions. Secrets are stored hashed and shown once."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from tocsin.app.ports import Clock, PasswordHasher, UnitOfWork
from tocsin.core import rules
from tocsin.core.access import AccessRole, Principal, Unauthenticated
from tocsin.core.errors import InvalidInput, NotFound

TOKEN_PREFIX = "tcn_"  # noqa: S105 - a public prefix, not a secret
SESSION_LIFETIME = timedelta(hours=12)
MIN_PASSWORD = 12
TOKEN_CACHE = timedelta(seconds=30)
MAX_CACHED_TOKENS = 10_000


@dataclass(frozen=True, slots=True)
class User:
    id: int
    username: str
    role: AccessRole
    password_hash: str
    created_at: datetime
    disabled: bool = False


@dataclass(frozen=True, slots=True)
class ApiToken:
    id: int
    name: str
    role: AccessRole
    created_at: datetime
    created_by: str
    revoked_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Session:
    principal: Principal
    csrf: str
    expires_at: datetime


def digest(secret: str) -> str:
    """Tokens and session ids are long random strings: a plain SHA-256 is the right hash."""
    return hashlib.sha256(secret.encode()).hexdigest()


class AccountService:
    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        clock: Clock,
        hasher: PasswordHasher,
        reader: Callable[[], UnitOfWork] | None = None,
    ) -> None:
        self._uow = uow
        self._read = reader or uow
        self._tokens: dict[str, tuple[Principal, datetime]] = {}
        self._clock = clock
        self._hasher = hasher
        self._dummy: str | None = None

    # -- users ---------------------------------------------------------------------------

    def create_user(self, username: str, password: str, role: str) -> User:
        name = rules.handle(username, "username")
        if len(password) < MIN_PASSWORD:
            raise InvalidInput(f"password is too short; use at least {MIN_PASSWORD} characters")
        parsed = AccessRole.parse(role)
        with self._uow() as uow:
            if uow.accounts.user_by_name(name) is not None:
                raise InvalidInput(f"user {name} exists; pick another username")
            user = uow.accounts.add_user(
                name, self._hasher.hash(password), parsed, self._clock.now()
            )
            uow.commit()
        return user

    def users(self) -> list[User]:
        with self._read() as uow:
            return uow.accounts.users()

    def set_role(self, username: str, role: str) -> User:
        parsed = AccessRole.parse(role)
        with self._uow() as uow:
            user = self._user(uow, username)
            uow.accounts.update_user(user.id, role=parsed)
            uow.commit()
            return User(user.id, user.username, parsed, user.password_hash, user.created_at)

    def disable(self, username: str) -> None:
        with self._uow() as uow:
            user = self._user(uow, username)
            uow.accounts.update_user(user.id, disabled=True)
            uow.accounts.end_sessions_of(user.id)
            uow.commit()

    def authenticate(self, username: str, password: str) -> User:
        """The same error, and about the same time, for an unknown user and a wrong password."""
        with self._read() as uow:
            user = uow.accounts.user_by_name(username.strip().lstrip("@"))
        if user is None or user.disabled:
            self._hasher.verify(self._dummy_hash(), password)
            raise Unauthenticated()
        if not self._hasher.verify(user.password_hash, password):
            raise Unauthenticated()
        return user

    def _dummy_hash(self) -> str:
        """A real hash to check unknown users against, so they take as long as known ones;
        made on first use, not at start (every CLI command builds this service)."""
        if self._dummy is None:
            self._dummy = self._hasher.hash(secrets.token_urlsafe(16))
        return self._dummy

    # -- tokens --------------------------------------------------------------------------

    def create_token(self, name: str, role: str, created_by: str) -> tuple[ApiToken, str]:
        label = rules.line(name, "token name", 100)
        parsed = AccessRole.parse(role)
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self._uow() as uow:
            token = uow.accounts.add_token(
                label, parsed, digest(secret), created_by, self._clock.now()
            )
            uow.commit()
        return token, secret

    def tokens(self) -> list[ApiToken]:
        with self._read() as uow:
            return uow.accounts.tokens()

    def revoke_token(self, token_id: int) -> ApiToken:
        self._tokens.clear()
        with self._uow() as uow:
            token = uow.accounts.revoke_token(token_id, self._clock.now())
            if token is None:
                raise NotFound(f"no token {token_id}; list them with `tocsin token list`")
            uow.commit()
        return token

    def principal_for_token(self, secret: str) -> Principal:
        """Cached for TOKEN_CACHE: a revoke here takes effect at once, in another process
        within that time."""
        if not secret.startswith(TOKEN_PREFIX):
            raise Unauthenticated("invalid or revoked token")
        key, now = digest(secret), self._clock.now()
        cached = self._tokens.get(key)
        if cached is not None and cached[1] > now:
            return cached[0]
        with self._read() as uow:
            token = uow.accounts.token_by_hash(key)
        if token is None or token.revoked_at is not None:
            raise Unauthenticated("invalid or revoked token")
        principal = Principal(f"token:{token.name}", token.role, "token")
        if len(self._tokens) >= MAX_CACHED_TOKENS:
            self._tokens.clear()
        self._tokens[key] = (principal, now + TOKEN_CACHE)
        return principal

    # -- web sessions --------------------------------------------------------------------

    def start_session(self, user: User) -> tuple[str, Session]:
        secret = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(24)
        expires = self._clock.now() + SESSION_LIFETIME
        with self._uow() as uow:
            uow.accounts.add_session(digest(secret), user.id, csrf, expires)
            uow.commit()
        return secret, Session(Principal(user.username, user.role, "user"), csrf, expires)

    def session(self, secret: str) -> Session:
        with self._read() as uow:
            found = uow.accounts.session_by_hash(digest(secret))
        if found is None or found.expires_at <= self._clock.now():
            raise Unauthenticated("session expired; log in again")
        return found

    def end_session(self, secret: str) -> None:
        with self._uow() as uow:
            uow.accounts.delete_session(digest(secret))
            uow.commit()

    def _user(self, uow: UnitOfWork, username: str) -> User:
        user = uow.accounts.user_by_name(username.strip().lstrip("@"))
        if user is None:
            raise NotFound(f"no user {username}; list them with `tocsin user list`")
        return user
