"""The OpenAPI document gives each operation the errors it can return, not a blanket set
(api/openapi_errors.py); schemathesis (test_schemathesis.py) checks the other way: no
operation answers with a status it does not list."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tocsin.api.responses import ERRORS


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'tocsin.db'}"  # the document does not depend on it


@pytest.fixture
def operations(api: TestClient) -> list[tuple[str, str, dict[str, Any]]]:
    paths = api.get("/api/v1/openapi.json").json()["paths"]
    return [(m, p, op) for p, item in paths.items() for m, op in item.items()]


def shared(op: dict[str, Any], status: int) -> bool:
    """The operation lists `status` as one of the shared errors (not in its own words)."""
    answer = op["responses"].get(str(status))
    return bool(answer) and answer["description"] == ERRORS[status]["description"]


def test_every_operation_lists_only_the_errors_its_route_can_give(
    operations: list[tuple[str, str, dict[str, Any]]],
) -> None:
    assert len(operations) > 50
    for method, path, op in operations:
        where = (method, path)
        body = "requestBody" in op
        params = op.get("parameters", [])
        path_params = [p for p in params if p["in"] == "path"]
        secured = bool(op.get("security"))
        codes = op["responses"]
        assert shared(op, 400) <= body, where  # "the body could not be read"
        assert shared(op, 413) <= body, where
        assert shared(op, 422) <= (body or bool(params)), where
        assert shared(op, 404) <= bool(path_params), where
        assert not (method == "get" and shared(op, 409)), where
        if "401" in codes and not secured:  # then the route says in its own words how
            assert not shared(op, 401), where
        if secured:
            assert "401" in codes, where
        if path.startswith("/api/v1/") and secured:  # the routers sharing ERRORS
            assert shared(op, 503), where
            assert shared(op, 422) == (body or bool(params)), where
            assert shared(op, 404) == bool(path_params), where


def test_what_a_few_operations_list(operations: list[tuple[str, str, dict[str, Any]]]) -> None:
    codes = {(m, p): sorted(int(c) for c in op["responses"]) for m, p, op in operations}
    assert codes[("get", "/api/v1/me")] == [200, 401, 503]  # any principal; no input
    assert codes[("get", "/api/v1/incidents")] == [200, 401, 422, 503]  # a viewer's read
    assert codes[("get", "/api/v1/users")] == [200, 401, 403, 503]  # admins only
    assert codes[("post", "/api/v1/incidents/{ref}/resolve")] == [
        200, 400, 401, 403, 404, 409, 413, 422, 503,
    ]  # fmt: skip
    assert codes[("get", "/api/v1/oncall/{schedule}.ics")] == [200, 401, 404, 422, 503]
    assert codes[("get", "/healthz")] == [200]
    # A name in the body or the query that may name nothing: said by the route itself.
    assert 404 in codes[("post", "/api/v1/oncall/overrides")]
    assert codes[("post", "/api/v1/me/password")] == [
        200,
        400,
        401,
        403,
        404,
        409,
        413,
        422,
        429,
        503,
    ]
