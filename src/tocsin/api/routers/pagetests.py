"""/api/v1/people/{person}/page-tests: send a test page through each of a person's contact
methods (responder), and the last test of each method (viewer); /api/v1/page-tests: every
person's."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import AwareDatetime

from tocsin.api.deps import App, Responder, Viewer
from tocsin.api.models import Out
from tocsin.api.responses import ERRORS, own
from tocsin.app.pagetests import method_test_json, notice_json

router = APIRouter(tags=["oncall"], responses=ERRORS)
Person = Annotated[str, Path(max_length=100)]


class MethodOut(Out):
    kind: str
    address: str
    label: str


class TestPageOut(Out):
    id: int
    person: str
    method: MethodOut
    status: str  # queued, sending, sent (delivered), retry, failed
    attempts: int
    detail: str
    requested_by: str
    requested_at: AwareDatetime
    delivered_at: AwareDatetime | None
    acknowledged_at: AwareDatetime | None
    acknowledged_via: str | None


class MethodTestOut(Out):
    person: str
    name: str
    method: MethodOut
    last: TestPageOut | None
    last_delivered: TestPageOut | None


@router.post("/people/{person}/page-tests", status_code=202, response_model=list[TestPageOut])
def send_test_pages(person: Person, tocsin: App, who: Responder) -> list[dict[str, Any]]:
    """One test page per contact method, queued as jobs; each carries an acknowledge link."""
    return [notice_json(n) for n in tocsin.page_tests.start(person, who.name)]


@router.get("/people/{person}/page-tests", response_model=list[MethodTestOut])
def person_test_pages(person: Person, tocsin: App, _: Viewer) -> list[dict[str, Any]]:
    """Each of the person's methods: its last test and its last delivered one."""
    return [method_test_json(t) for t in tocsin.page_tests.status(person)]


@router.get(
    "/page-tests",
    response_model=list[MethodTestOut],
    responses=own(e404="No such person (`person=`)"),
)
def all_page_tests(
    tocsin: App, _: Viewer, person: Annotated[str | None, Query(max_length=100)] = None
) -> list[dict[str, Any]]:
    """Everyone's methods (or one person's): the last test and the last delivered one."""
    return [method_test_json(t) for t in tocsin.page_tests.status(person)]
