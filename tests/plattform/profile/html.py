"""A small HTML reader for view tests: elements by id, and the error shown next to a form field."""

from __future__ import annotations

import html as html_lib
import re
from html.parser import HTMLParser


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.by_id: dict[str, dict] = {}
        self.selected: dict[str, list[str]] = {}
        self._open: list[tuple[str, dict]] = []
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        attributes = {k: (v if v is not None else "") for k, v in attrs}
        element = {"tag": tag, "attrs": attributes, "text": ""}
        if "id" in attributes:
            self.by_id[attributes["id"]] = element
        if tag == "select":
            self._select = attributes.get("id")
            self.selected.setdefault(self._select, [])
        if tag == "option" and self._select and "selected" in attributes:
            self.selected[self._select].append(attributes.get("value", ""))
        if tag not in ("input", "br", "meta", "link", "img", "option"):
            self._open.append((tag, element))

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        for i in range(len(self._open) - 1, -1, -1):
            if self._open[i][0] == tag:
                del self._open[i:]
                break

    def handle_data(self, data):
        for _tag, element in self._open:
            element["text"] += data


def parse(html: str) -> _Collector:
    """Parse a page once; look elements up by id."""
    collector = _Collector()
    collector.feed(html)
    return collector


def field_error(html: str, field_id: str) -> str | None:
    """The error text shown next to a field, checked to be wired to it (role=alert, aria-describedby)."""
    page = parse(html)
    error = page.by_id.get(f"{field_id}-fehler")
    if error is None:
        return None
    assert error["attrs"].get("role") == "alert", f"{field_id}: error without role=alert"
    field = page.by_id.get(field_id)
    if field is not None and field["tag"] in ("input", "select", "textarea"):
        assert f"{field_id}-fehler" in field["attrs"].get("aria-describedby", ""), (
            f"{field_id}: not described"
        )
        assert field["attrs"].get("aria-invalid") == "true", f"{field_id}: not marked invalid"
    return re.sub(r"\s+", " ", error["text"]).strip()


def selected(html: str, select_id: str) -> list[str]:
    """The selected option values of a select."""
    return parse(html).selected.get(select_id, [])


def text(html: str) -> str:
    """The visible text of a page, whitespace collapsed (for 'is this shown' checks)."""
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    body = re.sub(r"</?(strong|em|b|i|a|abbr)\b[^>]*>", "", body)  # inline tags join their text
    return re.sub(r"\s+", " ", html_lib.unescape(re.sub(r"<[^>]+>", " ", body))).strip()
