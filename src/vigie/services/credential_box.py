"""Camera credentials encrypted at rest (Fernet: AES-128-CBC + HMAC-SHA256).

A camera's RTSP/ONVIF user name and password must be given back in clear to open the
stream, so they are encrypted, not hashed. The key comes from a setting (urlsafe base64,
as ``Fernet.generate_key`` prints it) or from a key file in the data directory, created
on first use with 0600 permissions. A database copied without its key holds no usable
credential. A wrong key is a clear error naming the setting, never a silent empty value.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

__all__ = ["KEY_SETTING", "CredentialBox", "CredentialError"]

log = logging.getLogger(__name__)

KEY_SETTING = "VIGIE_SECRET_KEY"  # the `secret_key` setting
KEY_FILE_NAME = "camera.key"


class CredentialError(Exception):
    """The key is malformed or is not the one the credentials were encrypted with."""


class CredentialBox:
    def __init__(self, key: bytes | str, *, origin: str = KEY_SETTING) -> None:
        self._origin = origin
        try:
            self._fernet = Fernet(key)
        except (ValueError, TypeError):
            raise CredentialError(
                f"{origin}: expected a Fernet key (32 bytes in urlsafe base64, "
                "e.g. from `python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'`)"
            ) from None

    @classmethod
    def from_settings(cls, key: str | None, data_dir: Path) -> CredentialBox:
        """The key of the setting if given, else the key file of ``data_dir``."""
        if key:
            return cls(key.strip(), origin=KEY_SETTING)
        return cls.from_key_file(data_dir / KEY_FILE_NAME)

    @classmethod
    def from_key_file(cls, path: Path) -> CredentialBox:
        """Read the key file, creating it (0600, owner only) when it does not exist."""
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(Fernet.generate_key())
            log.info("created the camera credential key file %s", path)
        return cls(path.read_bytes().strip(), origin=f"{KEY_SETTING} (key file {path})")

    def seal(self, clear: str) -> str:
        """The encrypted token of ``clear``; an empty value stays empty (nothing to hide)."""
        if not clear:
            return ""
        return self._fernet.encrypt(clear.encode("utf-8")).decode("ascii")

    def open(self, token: str) -> str:
        if not token:
            return ""
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except InvalidToken:
            raise CredentialError(
                f"{self._origin}: this key does not decrypt the stored camera credentials "
                "(wrong or changed key)"
            ) from None
