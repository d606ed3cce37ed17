"""Import (mojibake, front matter, severities), redaction, and the audit chain."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from tests.runbooks.support import modax, saas
from tocsin.core.audit import GENESIS, following, verify
from tocsin.core.mojibake import repair
from tocsin.core.redact import MASK, Redactor
from tocsin.core.runbook_import import normalise

NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)


def test_the_first_seed_gets_its_emoji_back() -> None:
    raw = modax()
    assert "ðŸ”´" in raw  # as stored: UTF-8 read as cp1252
    fixed, count = repair(raw)
    for emoji in "🔴🟡🔵⚪🚨✅":
        assert emoji in fixed
    assert "ðŸ" not in fixed
    assert "âœ" not in fixed
    assert count == 6


def test_right_text_is_left_alone() -> None:
    for text in ("café – naïve — über", "plain ascii", "Ça va? ½"):
        assert repair(text) == (text, 0)
    assert repair(saas())[1] == 0


def test_import_writes_front_matter_and_offers_the_severities_of_both_seeds() -> None:
    first = normalise(modax())
    assert first.name == "incident-response-workflow-for-modax"
    assert first.text.startswith('---\ntitle: "Incident Response Workflow for ModAx"\n---\n')
    assert "🔴 P1" in first.text
    assert first.runbook.errors == ()
    assert [(s.key, s.label, s.emoji) for s in first.severities] == [
        ("P1", "Critical", "🔴"),
        ("P2", "High", "🟡"),
        ("P3", "Medium", "🔵"),
        ("P4", "Low", "⚪"),
    ]
    second = normalise(saas(), "saas")
    assert second.name == "saas"
    offers = {s.key: s.to_config() for s in second.severities}
    assert list(offers) == ["SEV-1", "SEV-2", "SEV-3"]
    assert offers["SEV-1"]["response_target"] == "15m"
    assert offers["SEV-3"]["response_target"] == "4h"
    assert offers["SEV-2"]["examples"][0] == "AI chat down"


def test_redaction_of_built_in_kinds_configured_patterns_and_secret_values() -> None:
    redact = Redactor.build(patterns=[r"tenant-\d+"], secrets=["hunter2-value"])
    text = (
        "key AKIAIOSFODNN7EXAMPLE\n"
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"
        "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig\n"
        "postgres://app:s3cretpw@db:5432/x\n"
        "password=letmein\n"
        "tenant-42 and hunter2-value\n"
    )
    out = redact(text)
    for secret in ("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI", "eyJhbGci", "s3cretpw", "letmein",
                   "tenant-42", "hunter2-value"):  # fmt: skip
        assert secret not in out, secret
    assert out.count(MASK) == 7
    assert "postgres://app:" in out
    assert "Bearer " in out


def test_the_audit_chain_verifies_and_names_the_first_changed_or_removed_record() -> None:
    records = []
    for i in range(5):
        records.append(following(records[-1] if records else None, NOW, "ann", f"a{i}"))
    records = [replace(r, hash=r.digest()) for r in records]
    assert records[0].prev == GENESIS
    assert verify(records) is None
    changed = [*records[:2], replace(records[2], actor="mallory"), *records[3:]]
    broken = verify(changed)
    assert broken is not None
    assert broken.seq == 3
    unhashed = [replace(r, hash="") for r in changed]  # without stored hashes: the link says
    broken = verify(unhashed)
    assert broken is not None
    assert broken.seq == 3
    assert "record 4" in broken.reason
    removed = [*records[:2], *records[3:]]
    broken = verify(removed)
    assert broken is not None
    assert broken.seq == 3
    assert "removed" in broken.reason
