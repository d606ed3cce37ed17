"""Users, API tokens and sessions on SQLAlchemy Core."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from tocsin.app.accounts import ApiToken, Session, User
from tocsin.core.access import AccessRole, Principal
from tocsin.store.tables import api_tokens, sessions, users

_OWNER = users.alias("owner")
_TOKENS = select(api_tokens, _OWNER.c.username.label("owner")).outerjoin(
    _OWNER, _OWNER.c.id == api_tokens.c.owner_id
)


class SqlAccountRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add_user(self, username: str, password_hash: str, role: AccessRole, now: datetime) -> User:
        values = {"username": username, "password_hash": password_hash, "role": role.value}
        new_id = self._conn.execute(
            insert(users).values(**values, created_at=now, disabled=False).returning(users.c.id)
        ).scalar_one()
        return User(new_id, username, role, password_hash, now)

    def user_by_name(self, username: str) -> User | None:
        row = self._conn.execute(select(users).where(users.c.username == username)).first()
        return None if row is None else _user(row)

    def user_by_id(self, user_id: int) -> User | None:
        row = self._conn.execute(select(users).where(users.c.id == user_id)).first()
        return None if row is None else _user(row)

    def users(self) -> list[User]:
        return [_user(r) for r in self._conn.execute(select(users).order_by(users.c.username))]

    def enabled_admins(self, lock: bool = False) -> list[int]:
        stmt = (
            select(users.c.id)
            .where(users.c.role == AccessRole.ADMIN.value, users.c.disabled.is_(False))
            .order_by(users.c.id)
        )
        return list(self._conn.execute(stmt.with_for_update() if lock else stmt).scalars())

    def update_user(
        self,
        user_id: int,
        *,
        role: AccessRole | None = None,
        disabled: bool | None = None,
        password_hash: str | None = None,
    ) -> None:
        values: dict[str, Any] = {}
        if role is not None:
            values["role"] = role.value
        if disabled is not None:
            values["disabled"] = disabled
        if password_hash is not None:
            values["password_hash"] = password_hash
        self._conn.execute(update(users).where(users.c.id == user_id).values(**values))

    def add_token(
        self,
        name: str,
        role: AccessRole,
        token_hash: str,
        created_by: str,
        now: datetime,
        owner_id: int | None = None,
    ) -> ApiToken:
        new_id = self._conn.execute(
            insert(api_tokens)
            .values(
                name=name,
                role=role.value,
                token_hash=token_hash,
                created_by=created_by,
                created_at=now,
                owner_id=owner_id,
            )
            .returning(api_tokens.c.id)
        ).scalar_one()
        return ApiToken(new_id, name, role, now, created_by, owner_id=owner_id)

    def tokens(self) -> list[ApiToken]:
        rows = self._conn.execute(_TOKENS.order_by(api_tokens.c.id))
        return [_token(r) for r in rows]

    def token_by_hash(self, token_hash: str) -> ApiToken | None:
        row = self._conn.execute(_TOKENS.where(api_tokens.c.token_hash == token_hash)).first()
        return None if row is None else _token(row)

    def revoke_token(self, token_id: int, now: datetime) -> ApiToken | None:
        self._conn.execute(
            update(api_tokens)
            .where(api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        row = self._conn.execute(_TOKENS.where(api_tokens.c.id == token_id)).first()
        return None if row is None else _token(row)

    def revoke_tokens_of(self, user_id: int, now: datetime) -> None:
        self._conn.execute(
            update(api_tokens)
            .where(api_tokens.c.owner_id == user_id, api_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )

    def add_session(self, session_hash: str, user_id: int, csrf: str, expires: datetime) -> None:
        self._conn.execute(
            insert(sessions).values(
                session_hash=session_hash, user_id=user_id, csrf=csrf, expires_at=expires
            )
        )

    def session_by_hash(self, session_hash: str) -> Session | None:
        row = self._conn.execute(
            select(
                sessions.c.csrf, sessions.c.expires_at, users.c.id, users.c.username, users.c.role
            )
            .join(users, users.c.id == sessions.c.user_id)
            .where(sessions.c.session_hash == session_hash, users.c.disabled.is_(False))
        ).first()
        if row is None:
            return None
        principal = Principal(row.username, AccessRole(row.role), "user", row.id, row.username)
        return Session(principal, row.csrf, row.expires_at)

    def delete_session(self, session_hash: str) -> None:
        self._conn.execute(delete(sessions).where(sessions.c.session_hash == session_hash))

    def end_sessions_of(self, user_id: int) -> None:
        self._conn.execute(delete(sessions).where(sessions.c.user_id == user_id))


def _user(row: Any) -> User:
    return User(
        row.id, row.username, AccessRole(row.role), row.password_hash, row.created_at, row.disabled
    )


def _token(row: Any) -> ApiToken:
    return ApiToken(
        row.id,
        row.name,
        AccessRole(row.role),
        row.created_at,
        row.created_by,
        row.revoked_at,
        row.owner_id,
        row.owner,
    )
