"""The credential box: sealed values are not the clear text and only its key opens them."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from vigie.services.credential_box import CredentialBox, CredentialError


def test_seal_then_open() -> None:
    box = CredentialBox(Fernet.generate_key())
    token = box.seal("mot-de-passe")
    assert "mot-de-passe" not in token
    assert box.open(token) == "mot-de-passe"
    assert box.seal("") == "" and box.open("") == ""


def test_another_key_is_a_clear_error_naming_the_setting() -> None:
    token = CredentialBox(Fernet.generate_key()).seal("x")
    with pytest.raises(CredentialError, match="VIGIE_SECRET_KEY: this key does not decrypt"):
        CredentialBox(Fernet.generate_key()).open(token)
