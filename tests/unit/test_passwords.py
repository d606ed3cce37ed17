"""The password rule: what it lets through matters as much as what it stops."""

from __future__ import annotations

import pytest

from tocsin.core import passwords
from tocsin.core.errors import InvalidInput


@pytest.mark.parametrize(
    "good",
    [
        "correct horse battery staple",
        "a long passphrase",
        "Kx7#mQ2!vL9p",  # random: every character fresh
        "my dog eats 3 socks",
        "tocsin is loud at 3am",  # a common word inside a longer phrase is fine
        "ümlaut große straße",
        "    padded passphrase    ",
    ],
)
def test_good_passwords_pass(good: str) -> None:
    assert passwords.check(good, "alice") == good


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ("", "is only spaces"),
        ("\u3000" * 12, "is only spaces"),  # an ideographic space is a space too
        ("x" * 1001, "is too long (1001 characters); use at most 1000"),
        ("zxcvbnm,./12", "is mostly repeats and runs"),
        ("9876543210987", "is mostly repeats and runs"),
        ("Welcome2026!!", "is built on 'welcome', a common password"),
        ("tocsintocsin", "is built on 'tocsin', a common password"),
        ("Secret-2026!", "is built on 'secret', a common password"),
        ("ALICE-in-wonderland", "contains the username"),
        ("new\nline password", "contains U+000A"),
    ],
)
def test_weak_passwords_name_the_problem(bad: str, reason: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        passwords.check(bad, "@alice")
    assert str(refused.value).startswith(f"password {reason}")
    assert str(refused.value).endswith(passwords.ADVICE)
    assert bad.strip() == "" or bad not in str(refused.value)  # the password is never echoed


def test_a_short_username_is_not_searched_for() -> None:
    assert passwords.check("bo jangles forever", "bo")


def test_usable_refuses_what_no_stored_password_can_hold() -> None:
    assert passwords.usable("anything printable, even é and 太郎")
    assert not passwords.usable("nul\x00inside")
    assert not passwords.usable("lone \ud800 surrogate")
    assert not passwords.usable("x" * 1001)
