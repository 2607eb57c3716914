"""The digest is assembled from sections that domains register; each says what is new for a user.

A section builder gets the user and the window [since, until) and returns a `DigestSection` or None.
Items carry a `key` (remembered in the delivery record, so the next digest can tell what is new) and a
`new` flag: a digest whose items are all reminders (new=False) is not sent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from plattform.accounts.models import User


@dataclass(frozen=True)
class DigestItem:
    """One line of a section: a German sentence and the platform path it links to."""

    text_de: str
    url_path: str
    link_de: str | None = None  # meaningful link text; the sentence itself is the link when None
    key: str | None = None
    new: bool = True


@dataclass
class DigestSection:
    """A titled block of the digest; `summary_de` feeds the subject ("3 neue Vorschläge")."""

    title_de: str
    items: list[DigestItem]
    summary_de: str | None = None
    # Keys to remember for this section; None means the keys of the items.
    keys: list[str] | None = None
    name: str = field(default="", compare=False)

    @property
    def has_news(self) -> bool:
        """Whether at least one item is new (reminders alone do not justify an e-mail)."""
        return any(item.new for item in self.items)

    def remembered_keys(self) -> list[str]:
        """The keys stored in the delivery record for this section."""
        if self.keys is not None:
            return sorted(set(self.keys))
        return sorted({item.key for item in self.items if item.key})


SectionBuilder = Callable[["User", datetime, datetime], "DigestSection | None"]


@dataclass(frozen=True)
class _Registration:
    name: str
    order: int
    build: SectionBuilder


_SECTIONS: dict[str, _Registration] = {}
log = logging.getLogger(__name__)


def register_digest_section(name: str, order: int, build: SectionBuilder) -> None:
    """Add (or replace) a digest section; sections appear in ascending `order`."""
    _SECTIONS[name] = _Registration(name, order, build)


def registered_sections() -> list[str]:
    """Names of the registered sections, in order."""
    return [r.name for r in sorted(_SECTIONS.values(), key=lambda r: (r.order, r.name))]


def build_sections(user: User, since: datetime, until: datetime) -> list[DigestSection]:
    """Every registered section that has something for this user, in order; a failing one is left out."""
    sections = []
    for registration in sorted(_SECTIONS.values(), key=lambda r: (r.order, r.name)):
        try:
            section = registration.build(user, since, until)
        except Exception:
            # One broken section must not cost the recipient the others; its keys carry over.
            log.exception(
                "Abschnitt %s der Wochen-E-Mail für Konto %s ausgelassen (section failed)",
                registration.name,
                user.id,
            )
            continue
        if section is not None and section.items:
            section.name = registration.name
            sections.append(section)
    return sections
