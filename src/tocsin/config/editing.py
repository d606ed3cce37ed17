"""Change tocsin.yaml in place, keeping its comments: read, change, check, write, or refuse.

`edit_config(path, change)` reads the file with ruamel.yaml's round trip, lets `change`
alter the document, validates the result as Tocsin loads it, and replaces the file
atomically (a temporary file in the same folder, then os.replace, keeping mode and owner).
It refuses with a ConfigError naming the file, and leaves the file as it was, when the file
does not load as it stands, when writing it back would change a value no one asked to
change, when the result would not load, or when the file changed since it was read (or
since `expected_digest`, taken earlier with `file_digest`). Editors in Tocsin take turns
on an advisory lock, so two commands run at once both land.
"""

from __future__ import annotations

import codecs
import fcntl
import hashlib
import os
import stat
import tempfile
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import BinaryIO

from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError

from tocsin.config.loader import parse_config, unreadable
from tocsin.config.problems import ConfigError, ConfigProblem
from tocsin.config.roundtrip import RoundTrip
from tocsin.config.schema import TocsinConfig
from tocsin.config.yamlsource import YamlProblems, parse_yaml

Change = Callable[[CommentedMap], None]
_NOT_CHANGED = "not changed"


class ConfigChanged(ConfigError):
    """The file changed between reading and writing it; nothing was written."""


def file_digest(path: Path) -> str:
    """The SHA-256 of the file's bytes, to pass to `edit_config` as `expected_digest`."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as exc:
        raise unreadable(path, exc) from None


def edit_config(path: Path, change: Change, *, expected_digest: str | None = None) -> TocsinConfig:
    """Apply `change` to the file at `path` and return the config it now holds."""
    target = path.resolve()  # through a symlink, to the file itself
    with _locked(path, target) as handle:
        raw = handle.read()
        digest = hashlib.sha256(raw).hexdigest()
        if expected_digest not in (None, digest):
            raise _changed(path, "since it was read")
        data, config = _rewrite(path, raw, change)
        if not _still(target, handle, digest):
            raise _changed(path, "while it was being edited")
        _replace(path, target, data, os.fstat(handle.fileno()))
    return config


def _locked(path: Path, target: Path) -> BinaryIO:
    """The file open for reading, under an exclusive advisory lock: opened again when another
    editor replaced it while this one waited for the lock."""
    while True:
        try:
            handle = target.open("rb")
        except OSError as exc:
            raise unreadable(path, exc) from None
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)  # released when the handle closes
        with suppress(FileNotFoundError):
            if os.path.samestat(os.fstat(handle.fileno()), os.stat(target)):
                return handle
        handle.close()


def _rewrite(path: Path, raw: bytes, change: Change) -> tuple[bytes, TocsinConfig]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise unreadable(path, exc) from None
    crlf = "\r\n" in text
    text = text.replace("\r\n", "\n")
    parse_config(path, text)  # it must load as it stands: fix it by hand first
    try:
        trip = RoundTrip(text)
        _same_meaning(path, text, trip.text())
        change(trip.document)
        edited = trip.text()
    except YAMLError as exc:
        raise _refused(path, "", f"the YAML editor failed: {exc}") from None
    config = _checked(path, edited)
    edited = edited.replace("\n", "\r\n") if crlf else edited
    bom = codecs.BOM_UTF8 if raw.startswith(codecs.BOM_UTF8) else b""
    return bom + edited.encode("utf-8"), config


def _same_meaning(path: Path, text: str, rewritten: str) -> None:
    """Refuse when writing the file back unchanged would alter a value (ruamel reads YAML 1.2,
    the loader 1.1): the edit would change more than asked."""
    before = parse_yaml(text).data
    try:
        after = parse_yaml(rewritten).data
    except YamlProblems:
        after = None
    if after != before:
        keys = [str(k) for k in before if not isinstance(after, dict) or after.get(k) != before[k]]
        message = "writing the file back would change this value; edit the file by hand"
        raise _refused(path, ", ".join(keys), message)


def _checked(path: Path, edited: str) -> TocsinConfig:
    try:
        return parse_config(path, edited)
    except ConfigError as exc:
        problems = [ConfigProblem(None, "", f"{_NOT_CHANGED}: the edit would make it invalid")]
        problems += [ConfigProblem(None, p.field, p.message) for p in exc.problems]
        raise ConfigError(path, problems) from None


def _still(target: Path, handle: BinaryIO, digest: str) -> bool:
    """Whether `target` is still the file `handle` read, with the bytes it read."""
    try:
        same_file = os.path.samestat(os.fstat(handle.fileno()), os.stat(target))
        return same_file and hashlib.sha256(target.read_bytes()).hexdigest() == digest
    except OSError:
        return False


def _replace(path: Path, target: Path, data: bytes, old: os.stat_result) -> None:
    try:
        fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    except OSError as exc:
        raise _refused(path, "", f"cannot write next to it: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fchmod(out.fileno(), stat.S_IMODE(old.st_mode))
            if (old.st_uid, old.st_gid) != (os.geteuid(), os.getegid()):
                with suppress(PermissionError):  # only root may give a file away
                    os.fchown(out.fileno(), old.st_uid, old.st_gid)
            os.fsync(out.fileno())
        os.replace(temporary, target)
    except OSError as exc:
        with suppress(OSError):
            os.unlink(temporary)
        raise _refused(path, "", f"cannot write it: {exc.strerror or exc}") from None
    _sync_folder(target.parent)


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable, where the file system can sync a folder."""
    with suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _refused(path: Path, field: str, message: str) -> ConfigError:
    return ConfigError(path, [ConfigProblem(None, field, f"{_NOT_CHANGED}: {message}")])


def _changed(path: Path, when: str) -> ConfigChanged:
    message = f"{_NOT_CHANGED}: the file changed {when}; look at it and run the command again"
    return ConfigChanged(path, [ConfigProblem(None, "", message)])
