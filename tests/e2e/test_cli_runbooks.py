"""`tocsin runbook …` and `tocsin audit …` end to end, on the seeds and our own runbooks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Cli
from tests.runbooks.support import OWN, SEEDS

Declare = Callable[..., dict[str, Any]]


def seed_path(marker: str) -> Path:
    if not SEEDS.is_dir():
        pytest.skip(f"no seed runbooks at {SEEDS}")
    for path in sorted(SEEDS.glob("*.txt")):
        if marker in path.read_text(encoding="utf-8"):
            return path
    pytest.skip(f"no seed contains {marker!r}")


def own(project: Path, name: str = "api-errors", text: str = OWN) -> None:
    (project / "runbooks").mkdir(exist_ok=True)
    (project / "runbooks" / f"{name}.md").write_text(text, encoding="utf-8")


def test_import_repairs_the_first_seed_and_offers_its_severities(cli: Cli, project: Path) -> None:
    code, out = cli("runbook", "import", str(seed_path("ModAx")), "--name", "modax")
    assert code == 0, out
    assert out["repaired"] == 6
    assert [s["key"] for s in out["severities"]] == ["P1", "P2", "P3", "P4"]
    assert out["severities"][0]["emoji"] == "🔴"
    steps = out["runbook"]["steps"]
    assert len(steps) == 11
    assert [s["line"] for s in steps] == sorted(s["line"] for s in steps)
    written = (project / "runbooks" / "modax.md").read_text(encoding="utf-8")
    assert "🔴 P1" in written
    assert "✅ RESOLVED" in written
    code, out = cli("runbook", "import", str(seed_path("ModAx")), "--name", "modax")
    assert code == 1
    assert "exists: pass --force" in out["error"]


def test_import_of_the_second_seed_reads_its_table_and_its_indented_step(cli: Cli) -> None:
    code, out = cli("runbook", "import", str(seed_path("## When to Use")), "--name", "saas")
    assert code == 0, out
    assert out["repaired"] == 0
    assert [(s["key"], s.get("response_target")) for s in out["severities"]] == [
        ("SEV-1", "15m"), ("SEV-2", "1h"), ("SEV-3", "4h"),
    ]  # fmt: skip
    (step,) = out["runbook"]["steps"]
    assert step["kind"] == "diagnostic"
    code, text = cli("runbook", "import", str(seed_path("## When to Use")), "--name", "saas2",
                     json=False)  # fmt: skip
    assert code == 0
    assert "Severities found; as tocsin.yaml `severities:`" in text
    assert "key: SEV-1" in text


def test_list_show_and_lint(cli: Cli, project: Path) -> None:
    own(project)
    own(project, "broken", "# Broken\n\n```bash {kind=sometimes}\nls\n```\n")
    code, out = cli("runbook", "list")
    assert code == 0
    assert [r["name"] for r in out] == ["api-errors", "broken"]
    code, text = cli("runbook", "show", "api-errors", json=False)
    assert code == 0
    assert "step 5 (mitigation)" in text
    assert "needs: $API_ID" in text
    code, out = cli("runbook", "lint")
    assert code == 1
    assert out["api-errors"] == []
    assert out["broken"][0]["line"] == 3
    assert "kind=sometimes" in out["broken"][0]["message"]


def test_run_a_step_dry_run_refuse_without_confirmation_and_audit(
    cli: Cli, project: Path, declare: Declare
) -> None:
    own(project)
    ref = declare("API slow", "--service", "api")["id"]
    code, out = cli("runbook", "run", "api-errors", "--incident", ref, "--step", "1")
    assert code == 0, out
    assert out[0]["output"] == f"health of api for {ref}\n"
    code, out = cli("runbook", "run", "api-errors", "-i", ref, "-n", "5", "--dry-run",
                    "--set", "API_ID=a1b2")  # fmt: skip
    assert code == 0
    assert out[0]["command"] == 'echo "throttling $API_ID"'
    assert out[0]["env"] == {"API_ID": "--set"}
    code, text = cli("runbook", "run", "api-errors", "-i", ref, "-n", "5", "--set", "API_ID=x",
                     json=False)  # fmt: skip
    assert code == 1
    assert "is a mitigation" in text
    code, out = cli("runbook", "run", "api-errors", "-i", ref, "-n", "5", "--set", "API_ID=x",
                    "--yes")  # fmt: skip
    assert code == 0, out
    assert out[0]["output"] == "throttling x\n"
    code, out = cli("audit", "list")
    assert [(r["action"], r["detail"].get("reason")) for r in out] == [
        ("runbook.executed", None),
        ("runbook.refused", "no confirmation"),
        ("runbook.executed", None),
    ]
    code, out = cli("audit", "verify")
    assert (code, out["ok"], out["checked"]) == (0, True, 3)
    code, out = cli("show", ref)
    kinds = [e["kind"] for e in out["timeline"]]
    assert kinds.count("command") == 2


def test_missing_variable_exits_2_naming_it(cli: Cli, project: Path, declare: Declare) -> None:
    own(project)
    ref = declare("API slow")["id"]
    code, out = cli("runbook", "run", "api-errors", "-i", ref, "-n", "1")
    assert code == 2
    assert "step 1 needs SERVICE (INC-1 has no service)" in out["error"]


def test_a_second_person_approves_on_p1(cli: Cli, project: Path, declare: Declare) -> None:
    own(project)
    (project / "tocsin.yaml").write_text(
        (project / "tocsin.yaml").read_text() + "runbooks:\n  approval: [P1]\n"
    )
    ref = declare("API down", "--severity", "P1")["id"]
    code, out = cli("runbook", "run", "api-errors", "-i", ref, "-n", "5", "--set", "API_ID=x",
                    "--yes", "--as", "alice")  # fmt: skip
    assert code == 0, out
    assert out[0]["status"] == "awaiting_approval"
    run_id = str(out[0]["id"])
    code, out = cli("runbook", "approve", run_id, "--as", "alice")
    assert code == 1
    assert "a second person must approve" in out["error"]
    code, out = cli("runbook", "approve", run_id, "--as", "bob")
    assert code == 0, out
    assert (out["status"], out["approved_by"], out["output"]) == (
        "succeeded",
        "bob",
        "throttling x\n",
    )
