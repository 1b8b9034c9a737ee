"""The public API is locked and the codec stays inside vigie.protocols."""

import ast
from pathlib import Path

import vigie.protocols.dc09 as dc09

EXPECTED = {
    "KNOWN_TOKENS", "LEGACY_TOKENS", "PAD_ALPHABET", "SUPPORTED_TOKENS", "AccountPolicy",
    "CrcForm", "Dc09Error", "Dc09Key", "ErrorKind", "ExtendedData", "Frame", "FrameHeader",
    "Handled", "HexCase", "KeyNotation", "PolicyLookup", "Reply", "ReplyKind", "Rng",
    "StreamDecoder", "build_ack", "build_duh", "build_nak", "crc16", "datagram_frame",
    "decode_frame", "default_rng", "encode_frame", "format_timestamp", "handle_frame",
    "parse_reply", "parse_timestamp", "peek_header",
}  # fmt: skip

PKG = Path(dc09.__file__).parent


def test_public_api_is_locked() -> None:
    assert set(dc09.__all__) == EXPECTED
    assert len(dc09.__all__) == len(EXPECTED)
    for name in dc09.__all__:
        assert hasattr(dc09, name), name


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


def test_codec_imports_only_stdlib_cryptography_and_protocols() -> None:
    files = sorted(PKG.glob("*.py"))
    assert len(files) >= 8
    for path in files:
        for name in _imports(path):
            top = name.split(".")[0]
            if top == "vigie":
                assert name.startswith("vigie.protocols"), (path.name, name)
            else:
                assert top in {
                    "__future__", "re", "os", "string", "dataclasses", "datetime", "enum",
                    "typing", "collections", "cryptography",
                }, (path.name, name)  # fmt: skip


def test_no_clock_or_global_randomness_in_codec() -> None:
    for path in PKG.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "datetime.now" not in text and ".now(" not in text, path.name
        assert "utcnow" not in text and "time.time" not in text, path.name
        assert "import random" not in text, path.name
        # os.urandom only as the injectable default
        if "urandom" in text:
            assert path.name == "crypto.py"
