"""What the incident page shows of its action items (web/action_items_page.py has the forms)."""

from __future__ import annotations

from typing import Any

from tocsin.bootstrap import Tocsin
from tocsin.core.action_items import CATEGORY_LABELS


def items_for_page(tocsin: Tocsin, number: int) -> dict[str, Any]:
    """The incident page's context for its action items section."""
    return {
        "entries": tocsin.action_items.list(incident=number),
        "today": tocsin.action_items.today(),
        "categories": CATEGORY_LABELS,
    }
