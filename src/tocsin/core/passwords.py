"""The password rule: long enough, and not one of the forms people guess first.

No list of a million leaked passwords: a short list of the commonest bases, and a count of
the characters that are neither a repeat nor the next step of a run ("aaaa", "abcd", "4321",
"qwerty"), catch what guessing tries first. Length does the rest.
"""

from __future__ import annotations

import re

from tocsin.core.errors import InvalidInput

MIN_LENGTH = 12
MAX_LENGTH = 1000
MIN_FRESH = 6  # characters that are neither a repeat nor a run's next step
ADVICE = (
    "use 12 or more characters that are not a common password, the username, or repeats and "
    "runs (a few unrelated words work well)"
)
COMMON = frozenset(
    {
        "password", "passwort", "passwd", "qwerty", "qwertz", "azerty", "letmein", "welcome",
        "admin", "administrator", "root", "tocsin", "iloveyou", "monkey", "dragon", "football",
        "baseball", "soccer", "master", "sunshine", "princess", "shadow", "superman", "batman",
        "trustno", "changeme", "secret", "login", "guest", "default", "hello", "starwars",
        "whatever", "freedom", "access", "mustang", "michael", "charlie", "summer", "winter",
        "spring", "autumn", "test", "incident", "oncall", "pagerduty", "alert", "abc",
    }
)  # fmt: skip
ROWS = ("`1234567890-=", "qwertyuiop[]", "asdfghjkl;'", "zxcvbnm,./", "0123456789")
_ENDS = re.compile(r"^[\W\d_]+|[\W\d_]+$")
_LEET = str.maketrans("@4310$5!7", "aaeiossit")
_UNUSABLE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f\ud800-\udfff]")


def check(password: str, username: str = "", field: str = "password") -> str:
    """The password, or InvalidInput naming the field, what is wrong and the rule."""
    problem = _problem(password, username.strip().lstrip("@").casefold())
    if problem is not None:
        raise InvalidInput(f"{field} {problem}; {ADVICE}")
    return password


def usable(password: str) -> bool:
    """False for text no password can contain (it could not have been set)."""
    return len(password) <= MAX_LENGTH and not _UNUSABLE.search(password)


def _problem(password: str, username: str) -> str | None:
    if not password.strip():
        return "is only spaces"
    if len(password) < MIN_LENGTH:
        return f"is too short ({len(password)} characters)"
    if len(password) > MAX_LENGTH:
        return f"is too long ({len(password)} characters); use at most {MAX_LENGTH}"
    bad = _UNUSABLE.search(password)
    if bad:
        return f"contains U+{ord(bad.group()):04X}, which a password cannot hold"
    compact = "".join(password.casefold().split())
    if len(username) >= 3 and username in compact:
        return "contains the username"
    base = _repeated_unit(_ENDS.sub("", compact).translate(_LEET) or compact)
    if base in COMMON:
        return f"is built on '{base}', a common password"
    if _fresh(compact) < MIN_FRESH:
        return "is mostly repeats and runs (like 'aaaa', 'abcd', '4321' or 'qwerty')"
    return None


def _repeated_unit(text: str) -> str:
    """'letmeinletmein' -> 'letmein'; text that repeats nothing is itself."""
    for size in range(1, len(text) // 2 + 1):
        if len(text) % size == 0 and text[:size] * (len(text) // size) == text:
            return text[:size]
    return text


def _fresh(text: str) -> int:
    """How many characters are neither the one before nor its neighbour in a run."""
    return sum(1 for i, c in enumerate(text) if i == 0 or not _continues(text[i - 1], c))


def _continues(before: str, after: str) -> bool:
    if before == after or abs(ord(before) - ord(after)) == 1:
        return True
    for row in ROWS:
        if before in row and after in row and abs(row.index(before) - row.index(after)) == 1:
            return True
    return (before, after) in (("9", "0"), ("0", "9"))
