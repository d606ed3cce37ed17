"""The favicon, and the API reference page, which loads nothing from another host."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'tocsin.db'}"  # nothing here depends on the database


def test_the_favicon_is_an_svg_bell_linked_from_every_page(api: TestClient) -> None:
    icon = api.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.headers["content-type"].startswith("image/svg+xml")
    assert icon.text.lstrip().startswith("<svg")
    assert 'rel="icon"' in api.get("/login").text
    assert '<link rel="icon" href="/favicon.ico"' in api.get("/login").text


def test_the_api_docs_page_works_offline(api: TestClient) -> None:
    answer = api.get("/api/v1/docs")
    assert answer.status_code == 200
    html = answer.text
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert urls, "the page links nothing at all"
    external = [u for u in urls if re.match(r"(?i)^(https?:)?//", u)]
    assert external == []
    assert "cdn" not in html.lower()
    scripts = re.findall(r'<script[^>]*src="([^"]+)"', html)
    assert scripts == ["/static/tocsin.js"]  # the pages' own, which this page does not need
    # Every operation of the OpenAPI document is on the page, with its method and path.
    paths = api.get("/api/v1/openapi.json").json()["paths"]
    for path, operations in paths.items():
        for method in operations:
            assert f'id="{method}-' in html
            assert path in html
    assert "POST /api/v1/incidents/{ref}/resolve" in html
    assert "bearer" in html.lower()
