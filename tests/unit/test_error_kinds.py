"""One error vocabulary: every exception class in tocsin says its kind, and the API's status,
the CLI's exit code and the remote CLI's mapping back all come from app/answers.py."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable

import httpx
import pytest
import typer

import tocsin
from tocsin.api.errors import answer, error_body
from tocsin.api.limits import BodyTooLarge
from tocsin.app.answers import ANSWERS, EXIT_REFUSED, EXIT_USAGE, answer_for, kind_for_status
from tocsin.cli.common import handled
from tocsin.cli.remote_http import error_for
from tocsin.core.errors import ErrorKind, TocsinError

SKIPPED = {"tocsin.__main__"}  # importing it runs the CLI
URL = "http://tocsin.test"


def every_module() -> list[str]:
    names = [m.name for m in pkgutil.walk_packages(tocsin.__path__, "tocsin.")]
    return [name for name in names if name not in SKIPPED]


def subclasses(cls: type[BaseException]) -> Iterable[type[BaseException]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from subclasses(sub)


def tocsin_errors() -> list[type[BaseException]]:
    """Every exception class defined under src/tocsin (each module imported first), but the
    base TocsinError, which is never raised itself."""
    for name in every_module():
        importlib.import_module(name)
    found = {c for c in subclasses(BaseException) if c.__module__.startswith("tocsin.")}
    found.discard(TocsinError)
    return sorted(found, key=lambda c: f"{c.__module__}.{c.__qualname__}")


def problems(classes: Iterable[type[BaseException]]) -> list[str]:
    """What is wrong with these classes' kinds: none, or one the table has no row for."""
    found = []
    for cls in classes:
        name = f"{cls.__module__}.{cls.__qualname__}"
        if not issubclass(cls, TocsinError):
            found.append(f"{name} is not a TocsinError: derive it from one and give it a kind")
        elif cls.kind not in ANSWERS:
            found.append(f"{name}: kind {cls.kind} has no row in app/answers.py")
    return found


def exit_code(exc: Exception) -> int:
    @handled
    def command(as_json: bool = True) -> None:
        raise exc

    with pytest.raises(typer.Exit) as exited:
        command(as_json=True)
    return exited.value.exit_code


def server_answer(kind: ErrorKind, message: str) -> httpx.Response:
    request = httpx.Request("POST", f"{URL}/api/v1/incidents/INC-1/ack")
    body = error_body(kind.value, message, allowed=["close"])
    return httpx.Response(ANSWERS[kind].status, json=body, request=request)


# -- every class has a kind the table answers ----------------------------------------------


def test_the_walk_finds_the_errors_of_every_layer() -> None:
    names = {c.__name__ for c in tocsin_errors()}
    expected = {"DomainError", "Forbidden", "StorageError", "IngestOverloaded", "ConfigError"}
    assert expected | {"BodyTooLarge", "PageRefused", "ServerUnreachable"} <= names


def test_every_error_class_has_a_kind_the_table_answers() -> None:
    assert problems(tocsin_errors()) == []


def test_the_check_catches_an_error_outside_the_vocabulary() -> None:
    class Stray(Exception):
        pass

    assert problems([Stray]) == [f"{__name__}.{Stray.__qualname__} is not a TocsinError: "
                                 "derive it from one and give it a kind"]  # fmt: skip


def test_an_error_without_a_kind_cannot_be_defined() -> None:
    with pytest.raises(TypeError, match="Nameless must set `kind` to an ErrorKind"):

        class Nameless(TocsinError):
            pass


def test_every_kind_has_a_row_with_an_exit_code_the_readme_names() -> None:
    assert set(ANSWERS) == set(ErrorKind)
    for kind, row in ANSWERS.items():
        assert row.exit_code in (EXIT_REFUSED, EXIT_USAGE), kind
        assert 400 <= row.status < 600, kind
        assert row.title, kind


# -- the edges agree ----------------------------------------------------------------------


@pytest.mark.parametrize("cls", [c for c in tocsin_errors() if issubclass(c, TocsinError)])
def test_the_api_and_the_cli_answer_every_class_as_its_kind_says(cls: type[TocsinError]) -> None:
    # An HTTPException needs its status to print; the others are built as the remote CLI would.
    exc = BodyTooLarge(10) if cls is BodyTooLarge else cls.reported("why not", "INC-1", ["close"])
    assert isinstance(exc, cls)
    row = ANSWERS[cls.kind]

    http = answer(exc)

    assert http.status_code == row.status
    assert bytes(http.body).startswith(f'{{"error":{{"kind":"{cls.kind.value}",'.encode())
    assert exit_code(exc) == row.exit_code


@pytest.mark.parametrize("kind", list(ErrorKind))
def test_the_remote_cli_raises_what_exits_as_the_local_error_would(kind: ErrorKind) -> None:
    row = ANSWERS[kind]

    raised = error_for(server_answer(kind, "why not"), URL, None)

    assert isinstance(raised, TocsinError)
    assert isinstance(raised, row.raised_as)
    assert "why not" in str(raised)
    assert exit_code(raised) == row.exit_code


@pytest.mark.parametrize("kind", [k for k in ErrorKind if ANSWERS[k].raised_as.kind is k])
def test_an_answer_comes_back_as_its_own_kind(kind: ErrorKind) -> None:
    raised = error_for(server_answer(kind, "why not"), URL, None)

    assert isinstance(raised, TocsinError)
    assert raised.kind is kind
    assert answer(raised).status_code == ANSWERS[kind].status


def test_only_the_http_kinds_come_back_as_another_kind() -> None:
    borrowed = {k for k in ErrorKind if ANSWERS[k].raised_as.kind is not k}
    assert borrowed == {ErrorKind.TOO_LARGE, ErrorKind.RATE_LIMITED}


def test_a_kind_from_a_newer_server_is_a_refusal() -> None:
    assert answer_for("brand_new") == ANSWERS[ErrorKind.REFUSED]
    assert answer_for("not_found") == ANSWERS[ErrorKind.NOT_FOUND]


def test_a_framework_status_finds_its_kind() -> None:
    assert kind_for_status(413) is ErrorKind.TOO_LARGE
    assert kind_for_status(409) is ErrorKind.CONFLICT  # the first of the 409s
    assert kind_for_status(405) is None


def test_invalid_input_is_422_everywhere() -> None:
    assert ANSWERS[ErrorKind.INVALID_INPUT].status == 422
    assert ANSWERS[ErrorKind.INVALID_INPUT].exit_code == EXIT_USAGE
