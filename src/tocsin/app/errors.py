"""Errors the application raises about its environment rather than about the domain."""

from __future__ import annotations

from tocsin.core.errors import ErrorKind, TocsinError


class StorageError(TocsinError):
    """The database cannot be used as it is; the message says what to do."""

    kind = ErrorKind.UNAVAILABLE


class DatabaseTooNew(StorageError):
    pass


class DatabaseCorrupt(StorageError):
    pass


class DatabaseUnavailable(StorageError):
    pass


class WriteConflict(StorageError):
    """Another transaction wrote the same rows first (a unique key, a deadlock, a
    serialization failure): the whole transaction may simply be run again."""
