"""`tocsin config check` reports a channel whose secret environment variable is unset."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import Cli

NOTIFIERS = """
notifiers:
  telegram:
    bot_token_env: TOCSIN_TEST_TELEGRAM_TOKEN
  webhooks:
    audit: {url: "https://hooks.example.com/tocsin", secret_env: TOCSIN_TEST_AUDIT_SECRET}
"""


def test_config_check_names_each_unset_secret(
    cli: Cli, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with (project / "tocsin.yaml").open("a", encoding="utf-8") as file:
        file.write(NOTIFIERS)
    monkeypatch.delenv("TOCSIN_TEST_TELEGRAM_TOKEN", raising=False)
    monkeypatch.setenv("TOCSIN_TEST_AUDIT_SECRET", "set")

    code, out = cli("config", "check")

    assert code == 1
    assert "notifiers.telegram.bot_token_env: the environment variable " in out["error"]
    assert "TOCSIN_TEST_TELEGRAM_TOKEN is not set" in out["error"]
    assert "audit" not in out["error"]

    monkeypatch.setenv("TOCSIN_TEST_TELEGRAM_TOKEN", "123:abc")
    code, out = cli("config", "check")
    assert (code, out["ok"]) == (0, True)
