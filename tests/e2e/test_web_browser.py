"""The web UI in a real browser against a real server: log in, declare, acknowledge,
update and resolve through the forms; then a note written by the `tocsin` CLI, another
process on the same SQLite database, appears on the open page without a reload; the lists
update themselves; long unbroken text never widens a page.

Needs Debian's chromium (scripts/install-system-deps.sh). Skipped without it, except on
CI, where a missing browser is a failure.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.conftest import FAST_HASHER
from tocsin.api.app import create_app
from tocsin.bootstrap import Tocsin, build
from tocsin.config import render_preset

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "correct horse battery staple"  # noqa: S105 - a test account
SCREENSHOT = Path("/tmp/tocsin-incident.png")


@dataclass(frozen=True)
class Served:
    url: str
    env: dict[str, str]
    tocsin: Tocsin


def _listening_socket() -> socket.socket:
    """Bound before the server starts, so no other process can take the port meanwhile."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    root = tmp_path_factory.mktemp("web")
    (root / "tocsin.yaml").write_text(render_preset("p1-p4"), encoding="utf-8")
    env = {
        "TOCSIN_CONFIG": str(root / "tocsin.yaml"),
        "TOCSIN_DATABASE_URL": f"sqlite:///{root / 'tocsin.db'}",
    }
    tocsin = build(env=env, cwd=root, hasher=FAST_HASHER)
    tocsin.accounts.create_user("ann", PASSWORD, "responder")
    app = create_app(tocsin)
    app.state.web.poll_interval = 0.1
    sock = _listening_socket()
    config = uvicorn.Config(app, log_level="warning", ws="none", timeout_graceful_shutdown=2)
    uvicorn_server = uvicorn.Server(config)
    thread = threading.Thread(target=uvicorn_server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not uvicorn_server.started:  # waiting for start-up, not timing an assertion
        assert thread.is_alive(), "the server thread died"
        assert time.monotonic() < deadline, "the server did not start within 15 s"
        time.sleep(0.02)
    host, port = sock.getsockname()
    yield Served(f"http://{host}:{port}", env, tocsin)
    uvicorn_server.should_exit = True
    thread.join(10)
    sock.close()
    tocsin.engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing; run scripts/install-system-deps.sh"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, server: Served) -> Iterator[Page]:
    context = browser.new_context(base_url=server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def log_in(page: Page, path: str) -> None:
    page.goto(path)
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.get_by_label("Username").fill("ann")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_a_responder_runs_an_incident_from_the_browser(page: Page) -> None:
    log_in(page, "/incidents")
    expect(page).to_have_url(re.compile(r"/incidents$"))

    page.get_by_role("link", name="Declare").click()
    page.get_by_label("Title").fill("Checkout returns 500s")
    page.get_by_label("Severity", exact=True).select_option("P1")
    page.get_by_label("Services").fill("checkout, api")
    page.get_by_label("All tenants").check()
    page.get_by_label("Impact summary").fill("Card payments fail")
    page.get_by_label("Yes").check()
    page.get_by_role("button", name="Declare").click()
    pasted = page.locator("#message-text")
    expect(pasted).to_contain_text("🚨 INCIDENT: Checkout returns 500s")
    expect(pasted).to_contain_text("Severity: 🔴 P1 (Critical)")
    expect(page.locator("#status-text")).to_have_text("Investigating")
    number = re.search(r"/incidents/(INC-\d+)", page.url)
    assert number, page.url
    incident_id = number.group(1)

    page.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_role("status").filter(has_text="Acknowledged.")).to_be_visible()
    expect(page.locator("#summary")).to_contain_text("by ann at")
    expect(page.get_by_role("button", name="Acknowledge")).to_have_count(0)

    page.get_by_label("Status update").fill("Rolled back the 14:02 deploy")
    page.get_by_role("button", name="Post update").click()
    expect(pasted).to_contain_text(f"🔄 UPDATE: Checkout returns 500s ({incident_id})")
    expect(pasted).to_contain_text("Rolled back the 14:02 deploy")

    page.get_by_label("Root cause").fill("A bad config push")
    page.get_by_label("Fix applied").fill("Reverted the config")
    page.get_by_role("button", name="Resolve").click()
    expect(page.get_by_role("heading", name=f"Resolve {incident_id}?")).to_be_visible()
    expect(page.get_by_label("Root cause")).to_have_value("A bad config push")
    page.get_by_role("button", name=f"Resolve {incident_id}").click()
    expect(pasted).to_contain_text("✅ RESOLVED: Checkout returns 500s")
    expect(pasted).to_contain_text("Root Cause: A bad config push")
    expect(page.locator("#status-text")).to_have_text("Resolved")
    expect(page.locator("#summary")).to_contain_text("Reverted the config")


def test_a_note_from_the_cli_appears_on_the_open_page(page: Page, server: Served) -> None:
    declared = server.tocsin.incidents.declare("ann", "Search is slow", "P2")
    incident_id = declared.incident.id
    server.tocsin.incidents.acknowledge(incident_id, "ann")
    log_in(page, f"/incidents/{incident_id}")
    expect(page.locator("#live-status")).to_contain_text("Live")  # the stream is open
    page.evaluate("window.tocsinNotReloaded = true")

    script = Path(sys.executable).parent / "tocsin"
    env = {**os.environ, **server.env, "TOCSIN_ACTOR": "cli-user"}
    ran = subprocess.run(
        [str(script), "note", incident_id, "from the cli"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr

    note = page.locator("#timeline .entry").filter(has_text="from the cli")
    expect(note).to_be_visible(timeout=1000)
    expect(note).to_contain_text("cli-user")
    assert page.evaluate("window.tocsinNotReloaded") is True
    page.screenshot(path=str(SCREENSHOT), full_page=True)


LONG_URL = "https://grafana.example.com/d/" + "a1b2c3d4e5" * 16  # 190 characters, no break
LONG_TOKEN = "tok_" + "Zx9" * 99  # 301
# Anything in <main> whose right edge passes the window, and the page's own scroll width.
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [...document.querySelectorAll("main *")]
    .filter((e) => e.getBoundingClientRect().right > width + 1)
    .map((e) => e.tagName + "." + e.className + " " + Math.round(e.getBoundingClientRect().right));
  return {page: document.documentElement.scrollWidth - width, wide: wide.slice(0, 5)};
}"""


def test_long_unbroken_text_wraps_instead_of_widening_the_page(
    browser: Browser, server: Served
) -> None:
    """A 190-character URL in a title (the most a title takes), a 300-character token in an
    update and a long label: the incident
    list, the incident page and the dashboard fit a desktop and a phone, with nothing past
    the window's edge (a table that scrolled sideways would be)."""
    service = server.tocsin.incidents
    incident = service.declare("ann", f"See {LONG_URL}", "P2").incident
    service.post_update(incident.id, "ann", f"Rotated the leaked key {LONG_TOKEN}")
    service.relabel(incident.id, "ann", ["x" * 31 + ":" + "y" * 31], [])
    context = browser.new_context(base_url=server.url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    log_in(page, "/incidents")
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        for path in ("/incidents", f"/incidents/{incident.id}", "/"):
            page.goto(path)
            expect(page.locator("main")).to_contain_text(LONG_URL[:40])
            assert page.evaluate(OVERFLOW) == {"page": 0, "wide": []}, (width, path)
    context.close()


def test_the_lists_update_themselves_and_keep_what_is_typed(page: Page, server: Served) -> None:
    """The incident list, the dashboard and the Alerts page show a change made elsewhere
    without a reload; the search box keeps what is being typed."""
    log_in(page, "/incidents")
    expect(page.locator("#live-status")).to_contain_text("Live")
    page.get_by_label("Search").fill("typed, not sent")
    page.evaluate("window.tocsinNotReloaded = true")
    server.tocsin.incidents.declare("ann", "Appears by itself", "P3")
    expect(page.locator("#live-incidents")).to_contain_text("Appears by itself")
    assert page.evaluate("window.tocsinNotReloaded") is True
    expect(page.get_by_label("Search")).to_have_value("typed, not sent")
    page.goto("/")
    expect(page.locator("#live-status")).to_contain_text("Live")
    server.tocsin.incidents.declare("ann", "The dashboard sees it", "P1")
    expect(page.locator("#live-dashboard")).to_contain_text("The dashboard sees it")
    page.goto("/alerts")
    expect(page.locator("#live-status")).to_contain_text("Live")
    ends = server.tocsin.clock.now() + timedelta(hours=1)
    server.tocsin.alert_admin.silence(["alertname=Zed"], None, ends, "ann", "zed is noisy")
    expect(page.locator("#live-silences")).to_contain_text("zed is noisy")


def test_a_form_being_filled_in_inside_a_live_region_is_kept(page: Page, server: Served) -> None:
    """A maintenance window's change form sits in the live maintenance list: a refresh while
    someone types there keeps what they typed (the other regions still update), and the
    region catches up once the form is left unchanged."""
    ends = server.tocsin.clock.now() + timedelta(hours=1)
    window = server.tocsin.alert_admin.maintenance("db", None, ends, "ann", "resize")
    log_in(page, "/alerts")
    expect(page.locator("#live-status")).to_contain_text("Live")
    comment = page.locator(f"#m-{window.id}-comment")
    comment.fill("resize, then reindex")
    server.tocsin.alert_admin.silence(["alertname=Yak"], None, ends, "ann", "yak is noisy")
    expect(page.locator("#live-silences")).to_contain_text("yak is noisy")
    expect(page.locator("#live-status")).to_contain_text("kept as it is")
    expect(comment).to_have_value("resize, then reindex")
    server.tocsin.alert_admin.maintenance("web", None, ends, "ann", "cache flush")
    expect(page.locator("#live-status")).to_contain_text("kept as it is")
    expect(page.locator("#live-maintenance")).not_to_contain_text("cache flush")  # held
    comment.fill("resize")  # back to what it was, and away: the list catches up
    comment.blur()
    expect(page.locator("#live-maintenance")).to_contain_text("cache flush")
