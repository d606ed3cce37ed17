"""Users, API tokens and web sessions. Secrets are stored hashed and shown once."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from tocsin.app.ports import Clock, PasswordHasher, UnitOfWork
from tocsin.app.throttle import LoginThrottle
from tocsin.core import passwords, rules
from tocsin.core.access import AccessRole, NotOwnAccount, Principal, Unauthenticated
from tocsin.core.errors import DomainError, InvalidInput, NotFound

TOKEN_PREFIX = "tcn_"  # noqa: S105 - a public prefix, not a secret
SESSION_LIFETIME = timedelta(hours=12)
TOKEN_CACHE = timedelta(seconds=30)
MAX_CACHED_TOKENS = 10_000
LOCAL_ADDRESS = "local"  # where the CLI's password checks come from, for the throttle


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
    owner_id: int | None = None  # the user it acts for: disabling them revokes it
    owner: str | None = None


class WrongPassword(InvalidInput):
    """The current password given for a change was not the user's password."""

    def __init__(self, username: str) -> None:
        super().__init__(f"current_password is wrong; give the password {username} logs in with")


class NoPassword(DomainError):
    """A credential with no person behind it (a token made on the server) has no password."""


class LastAdmin(DomainError):
    def __init__(self, username: str) -> None:
        super().__init__(
            f"{username} is the last enabled admin; make another user admin first "
            "(tocsin user role NAME admin)"
        )


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
        self.throttle = LoginThrottle(clock)

    # -- users ---------------------------------------------------------------------------

    def create_user(self, username: str, password: str, role: str) -> User:
        name = rules.handle(username, "username")
        passwords.check(password, name)
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

    def user(self, username: str) -> User:
        with self._read() as uow:
            return self._user(uow, username)

    def set_role(self, username: str, role: str) -> User:
        parsed = AccessRole.parse(role)
        with self._uow() as uow:
            user = self._user(uow, username)
            if parsed is not AccessRole.ADMIN:
                self._keep_an_admin(uow, user)
            uow.accounts.update_user(user.id, role=parsed)
            uow.commit()
        self._tokens.clear()  # its tokens act with the new role, here at once
        return replace(user, role=parsed)

    def disable(self, username: str) -> User:
        """Ends the user's sessions and revokes every token they own, in one transaction."""
        with self._uow() as uow:
            user = self._user(uow, username)
            self._keep_an_admin(uow, user)
            uow.accounts.update_user(user.id, disabled=True)
            uow.accounts.end_sessions_of(user.id)
            uow.accounts.revoke_tokens_of(user.id, self._clock.now())
            uow.commit()
        self._tokens.clear()
        return replace(user, disabled=True)

    def enable(self, username: str) -> User:
        """The account comes back; its revoked tokens stay revoked."""
        with self._uow() as uow:
            user = self._user(uow, username)
            uow.accounts.update_user(user.id, disabled=False)
            uow.commit()
        return replace(user, disabled=False)

    def authenticate(self, username: str, password: str) -> User:
        """The same error, and about the same time, for an unknown user and a wrong password."""
        name = rules.handle_or_none(username)
        with self._read() as uow:
            user = None if name is None else uow.accounts.user_by_name(name)
        if not passwords.usable(password):
            raise Unauthenticated()  # no stored password can hold it
        if user is None or user.disabled:
            self._hasher.verify(self._dummy_hash(), password)
            raise Unauthenticated()
        if not self._hasher.verify(user.password_hash, password):
            raise Unauthenticated()
        return user

    def login(self, username: str, password: str, address: str) -> User:
        """`authenticate`, throttled per address, address and name, and name (Throttled)."""
        attempt = self.throttle.begin(address, username)
        try:
            user = self.authenticate(username, password)
        except Unauthenticated:
            raise  # a failure: it stays counted
        except BaseException:
            self.throttle.undone(attempt)  # no answer (the database failed): not a failure
            raise
        self.throttle.passed(attempt)
        return user

    def change_password(
        self, username: str, current: str, new: str, address: str = LOCAL_ADDRESS
    ) -> User:
        """The user's own change: the current password (throttled as a login), then the new
        one; every session of theirs ends."""
        name = username.strip().lstrip("@")
        passwords.check(new, name, "new_password")
        try:
            user = self.login(name, current, address)
        except Unauthenticated:
            raise WrongPassword(name) from None
        return self._set_password(user.username, new)

    def reset_password(self, username: str, new: str) -> User:
        """An admin's reset: no current password; every session of the user ends."""
        return self._set_password(username, passwords.check(new, username.strip().lstrip("@")))

    def user_of(self, principal: Principal, username: str | None = None) -> User:
        """The person a credential acts for, who must be `username` when one is given."""
        if principal.user is None:
            raise NoPassword(
                f"{principal.name} belongs to no user, so it has no password to change; "
                "an admin resets one with `tocsin user reset-password NAME`"
            )
        wanted = (username or principal.user).strip().lstrip("@")
        if wanted != principal.user:
            who = f"{principal.name} acts for" if principal.kind == "token" else "you are"
            raise NotOwnAccount(
                f"{who} {principal.user}, not {wanted}; an admin resets another user's "
                f"password with `tocsin user reset-password {wanted}`"
            )
        found = self.person(principal)
        if found is None:
            raise NotFound(f"no user {wanted}; list them with `tocsin user list`")
        return found

    def _set_password(self, username: str, new: str) -> User:
        hashed = self._hasher.hash(new)
        with self._uow() as uow:
            user = self._user(uow, username)
            uow.accounts.update_user(user.id, password_hash=hashed)
            uow.accounts.end_sessions_of(user.id)
            uow.commit()
        return replace(user, password_hash=hashed)

    def _keep_an_admin(self, uow: UnitOfWork, user: User) -> None:
        """Refuses to take away the last enabled admin. The admins are read under a row lock,
        so two admins disabling each other at once cannot both succeed."""
        if user.role is not AccessRole.ADMIN or user.disabled:
            return
        if uow.accounts.enabled_admins(lock=True) == [user.id]:
            raise LastAdmin(user.username)

    def _dummy_hash(self) -> str:
        """A real hash to check unknown users against, so they take as long as known ones;
        made on first use, not at start (every CLI command builds this service)."""
        if self._dummy is None:
            self._dummy = self._hasher.hash(secrets.token_urlsafe(16))
        return self._dummy

    # -- tokens --------------------------------------------------------------------------

    def create_token(
        self, name: str, role: str, created_by: str, owner: User | None = None
    ) -> tuple[ApiToken, str]:
        """A token for scripts. With an `owner` it acts for that user: never above their
        current role, and revoked when they are disabled."""
        label = rules.line(name, "token name", 100)
        parsed = AccessRole.parse(role)
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        owner_id = owner.id if owner is not None else None
        with self._uow() as uow:
            token = uow.accounts.add_token(
                label, parsed, digest(secret), created_by, self._clock.now(), owner_id
            )
            uow.commit()
        return replace(token, owner=owner.username if owner else None), secret

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

    def principal_for_token(self, secret: str, fresh: bool = False) -> Principal:
        """Cached for TOKEN_CACHE unless `fresh` (writes ask for fresh): a revoke or a
        disabled owner takes effect at once here and for writes everywhere, for reads in
        another process within that time."""
        if not secret.startswith(TOKEN_PREFIX):
            raise Unauthenticated("invalid or revoked token")
        key, now = digest(secret), self._clock.now()
        cached = self._tokens.get(key)
        if not fresh and cached is not None and cached[1] > now:
            return cached[0]
        with self._read() as uow:
            token = uow.accounts.token_by_hash(key)
            owner = None
            if token is not None and token.owner_id is not None:
                owner = uow.accounts.user_by_id(token.owner_id)
        principal = _token_principal(token, owner)
        if len(self._tokens) >= MAX_CACHED_TOKENS:
            self._tokens.clear()
        self._tokens[key] = (principal, now + TOKEN_CACHE)
        return principal

    def person(self, principal: Principal) -> User | None:
        """The user behind a principal (a session's, or a token's owner), if any."""
        if principal.user_id is None:
            return None
        with self._read() as uow:
            return uow.accounts.user_by_id(principal.user_id)

    def cached_principal(self, secret: str) -> Principal | None:
        """`principal_for_token` when the token is in the cache (no I/O, safe on an event
        loop); None when the answer needs the database: then call `principal_for_token`."""
        cached = self._tokens.get(digest(secret))
        if cached is None or cached[1] <= self._clock.now():
            return None
        return cached[0]

    # -- web sessions --------------------------------------------------------------------

    def start_session(self, user: User) -> tuple[str, Session]:
        secret = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(24)
        expires = self._clock.now() + SESSION_LIFETIME
        with self._uow() as uow:
            uow.accounts.add_session(digest(secret), user.id, csrf, expires)
            uow.commit()
        principal = Principal(user.username, user.role, "user", user.id, user.username)
        return secret, Session(principal, csrf, expires)

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
        user = uow.accounts.user_by_name(rules.handle(username, "username"))
        if user is None:
            raise NotFound(f"no user {username}; list them with `tocsin user list`")
        return user


def _token_principal(token: ApiToken | None, owner: User | None) -> Principal:
    """A live token acts as itself, capped at its owner's current role."""
    if token is None or token.revoked_at is not None:
        raise Unauthenticated("invalid or revoked token")
    if token.owner_id is None:
        return Principal(f"token:{token.name}", token.role, "token")
    if owner is None or owner.disabled:
        raise Unauthenticated("invalid or revoked token")
    role = min(token.role, owner.role, key=lambda r: r.rank)
    return Principal(f"token:{token.name}", role, "token", owner.id, owner.username)
