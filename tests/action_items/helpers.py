"""Helpers for the action item tests."""

from __future__ import annotations

import pytest

from tocsin.bootstrap import Tocsin


def run_jobs(tocsin: Tocsin, rounds: int = 5) -> None:
    """Run what is due now, until nothing is."""
    for _ in range(rounds):
        if tocsin.job_runner.run_due("test") == 0:
            return


SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
"""For tests of behaviour above the store: the store itself is tested on both databases."""
