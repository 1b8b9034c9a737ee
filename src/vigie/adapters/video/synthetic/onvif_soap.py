"""SOAP plumbing for the ONVIF simulator: envelopes, faults, WS-Security digest, request parsing.

Fixed text templates are enough for a test device; what matters is that the strictest client
we use (onvif-zeep-async) parses every answer, and that the UsernameToken digest is checked
the way real cameras check it: Base64(SHA1(nonce + created + password)).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime, timedelta
from xml.sax.saxutils import escape

__all__ = [
    "NS",
    "SoapFault",
    "SoapRequest",
    "check_digest",
    "duration_seconds",
    "envelope",
    "fault",
    "iso",
    "parse_request",
]

NS = {
    "s": "http://www.w3.org/2003/05/soap-envelope",
    "tds": "http://www.onvif.org/ver10/device/wsdl",
    "trt": "http://www.onvif.org/ver10/media/wsdl",
    "tptz": "http://www.onvif.org/ver20/ptz/wsdl",
    "tev": "http://www.onvif.org/ver10/events/wsdl",
    "tt": "http://www.onvif.org/ver10/schema",
    "wsnt": "http://docs.oasis-open.org/wsn/b-2",
    "wsa": "http://www.w3.org/2005/08/addressing",
    "tns1": "http://www.onvif.org/ver10/topics",
    "ter": "http://www.onvif.org/ver10/error",
    "wsse": ("http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"),
    "wsu": ("http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"),
}

_DECLS = " ".join(f'xmlns:{prefix}="{uri}"' for prefix, uri in NS.items())


@dataclass(frozen=True, slots=True)
class SoapRequest:
    operation: str
    body: ET.Element
    username: str | None
    password_digest: str | None
    nonce: str | None
    created: str | None

    def text(self, path: str, default: str = "") -> str:
        """Text of the first element under the operation matching ``path`` (any namespace)."""
        node = self.find(path)
        return (node.text or "").strip() if node is not None else default

    def find(self, path: str) -> ET.Element | None:
        current: ET.Element | None = self.body
        for name in path.split("/"):
            if current is None:
                return None
            current = next((c for c in current if _local(c.tag) == name), None)
        return current

    def attr(self, path: str, name: str, default: str = "") -> str:
        node = self.find(path)
        return node.get(name, default) if node is not None else default


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def parse_request(data: bytes) -> SoapRequest:
    """The operation (local name of the Body's first child) and the WS-Security token."""
    root = ET.fromstring(data)
    body = next((c for c in root if _local(c.tag) == "Body"), None)
    if body is None or len(body) == 0:
        raise ValueError("SOAP request without a Body element")
    operation = body[0]
    token = root.find(".//wsse:UsernameToken", {"wsse": NS["wsse"]})
    username = digest = nonce = created = None
    if token is not None:
        username = token.findtext("wsse:Username", None, {"wsse": NS["wsse"]})
        digest = token.findtext("wsse:Password", None, {"wsse": NS["wsse"]})
        nonce = token.findtext("wsse:Nonce", None, {"wsse": NS["wsse"]})
        created = token.findtext("wsu:Created", None, {"wsu": NS["wsu"]})
    return SoapRequest(_local(operation.tag), operation, username, digest, nonce, created)


def check_digest(request: SoapRequest, username: str, password: str) -> bool:
    """WS-Security UsernameToken PasswordDigest check (no replay cache: test device)."""
    if request.username != username or not request.password_digest:
        return False
    if request.nonce is None or request.created is None:
        # PasswordText: some clients send the password in clear when encrypt=False.
        return hmac.compare_digest(request.password_digest, password)
    try:
        nonce = base64.b64decode(request.nonce)
    except ValueError:
        return False
    expected = base64.b64encode(
        hashlib.sha1(nonce + request.created.encode() + password.encode()).digest()
    ).decode()
    return hmac.compare_digest(expected, request.password_digest)


def envelope(body: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<s:Envelope {_DECLS}><s:Body>{body}'
        "</s:Body></s:Envelope>"
    ).encode()


def fault(subcode: str, reason: str, *, sender: bool = True) -> bytes:
    """A SOAP 1.2 fault with an ONVIF ``ter:`` subcode (e.g. NotAuthorized, ActionNotSupported)."""
    code = "s:Sender" if sender else "s:Receiver"
    return envelope(
        f"<s:Fault><s:Code><s:Value>{code}</s:Value><s:Subcode><s:Value>ter:{subcode}"
        f'</s:Value></s:Subcode></s:Code><s:Reason><s:Text xml:lang="en">{escape(reason)}'
        "</s:Text></s:Reason></s:Fault>"
    )


def iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$")


def duration_seconds(text: str, default: float) -> float:
    """Seconds in an xs:duration like ``PT1M`` or ``PT5.5S`` (``default`` if unparsable)."""
    match = _DURATION.match(text.strip())
    if not match or not text.strip().startswith("P") or text.strip() in ("P", "PT"):
        return default
    days, hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds).total_seconds()


class SoapFault(Exception):
    """Raised by an operation handler: answered as ``fault(subcode, reason)``."""

    def __init__(self, subcode: str, reason: str) -> None:
        super().__init__(reason)
        self.subcode = subcode
        self.reason = reason
