from __future__ import annotations

import pytest

from vigie.domain.errors import InvalidValue
from vigie.domain.transmitters import Transmitter


@pytest.mark.parametrize("account", ["AAA", "1234", "foc7688", "0123456789ABCDEF"])
def test_accounts_of_3_to_16_characters_are_accepted(account: str) -> None:
    assert Transmitter(account).account == account


@pytest.mark.parametrize("account", ["", "12", "0123456789ABCDEFG", "12 34", "12#4"])
def test_other_accounts_are_refused_naming_the_field(account: str) -> None:
    with pytest.raises(InvalidValue, match=r"^account: expected 3 to 16"):
        Transmitter(account)


def test_an_encrypted_account_cannot_ignore_timestamps() -> None:
    with pytest.raises(InvalidValue, match="ignore-timestamp"):
        Transmitter("1234", key=bytes(16), key_notation="hex", ignore_timestamp=True)


def test_a_key_needs_its_notation_and_a_valid_size() -> None:
    with pytest.raises(InvalidValue, match="key-notation"):
        Transmitter("1234", key=bytes(16))
    with pytest.raises(InvalidValue, match=r"^key: expected 16, 24 or 32 bytes"):
        Transmitter("1234", key=bytes(10), key_notation="hex")


def test_the_key_is_described_never_shown() -> None:
    t = Transmitter("1234", key=b"S" * 24, key_notation="text")
    assert t.describe_key() == "AES-192 (text)"
    assert "SSSS" not in repr(t)


def test_receiver_and_prefix_narrow_the_match_by_number_not_spelling() -> None:
    anywhere = Transmitter("1234")
    line1 = Transmitter("1234", receiver="12", prefix="1")
    assert anywhere.matches("1234", None, "")
    assert anywhere.matches("1234", "5", "9")
    assert line1.matches("1234", "012", "000001")
    assert not line1.matches("1234", "12", "2")
    assert not line1.matches("1234", None, "1")
    assert line1.specificity() > anywhere.specificity()
    assert Transmitter("ABCD").matches("abcd", None, None)
