"""`tocsin page test PERSON` and `--status` from the command line (the worker delivers; the
integration tests follow the pages to the far sides)."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.conftest import Cli, flat
from tests.support.oncall import oncall_config


def test_page_test_queues_one_per_method_and_status_shows_them(
    bare_cli: Cli, project: Path
) -> None:
    (project / "tocsin.yaml").write_text(oncall_config(), encoding="utf-8")
    code, out = bare_cli("page", "test", "ann")
    assert code == 0, out
    assert [(n["method"]["kind"], n["status"]) for n in out] == [
        ("email", "queued"),
        ("sms", "queued"),
        ("voice", "queued"),
    ]
    assert out[0]["requested_by"] == "alice"
    code, out = bare_cli("page", "test", "ann", "--status")
    assert code == 0, out
    assert [t["last"]["status"] for t in out] == ["queued"] * 3
    assert [t["last_delivered"] for t in out] == [None] * 3
    code, text = bare_cli("page", "test", "ann", "--status", json=False)
    assert code == 0
    assert "ann email ann@example.com never delivered; last test" in flat(text)
    code, text = bare_cli("page", "test", "bob", json=False)
    assert code == 0
    assert "1 test page queued for bob: slack U0BOB1234" in flat(text)
    code, text = bare_cli("page", "test", "zed", json=False)
    assert code == 1
    assert "no person 'zed'; people: ann, bob, cid" in flat(text)
    code, text = bare_cli("page", "test", "cid", json=False)
    assert code == 2
    assert "cid has no contact method to test" in flat(text)
