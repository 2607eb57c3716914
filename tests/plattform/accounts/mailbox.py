"""Reading the messages the real SMTP test server received."""

from __future__ import annotations

import email
import re
from email import policy
from urllib.parse import urlsplit

LINK = re.compile(r"https?://[^\s\"'<>]+")


def parse(message) -> email.message.EmailMessage:
    """Re-parse a received message with the modern policy (for get_body)."""
    return email.message_from_bytes(message.as_bytes(), policy=policy.default)


def bodies(message) -> tuple[str, str]:
    """The plain-text and HTML parts."""
    msg = parse(message)
    text = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    return (text.get_content() if text else "", html.get_content() if html else "")


def messages_to(smtp_server, address: str) -> list:
    """Messages addressed to one recipient, oldest first."""
    return [m for m in smtp_server.messages if m["To"] == address]


def link_path(message, contains: str) -> str:
    """Path (and query) of the first link in the plain-text part whose path contains `contains`."""
    text, _html = bodies(message)
    for url in LINK.findall(text):
        parts = urlsplit(url)
        if contains in parts.path:
            return parts.path + (f"?{parts.query}" if parts.query else "")
    raise AssertionError(f"no link containing {contains!r} in:\n{text}")
