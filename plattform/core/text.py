"""The text guard: what may enter the platform as text, and how text leaves it safely.

Every entrance shares these rules. A NUL byte is refused by PostgreSQL (a 500 if it gets that far)
and no person types one; other control characters are never meant either. Tab, line feed and
carriage return belong in free text (messages), but never in a single-line value such as a name,
which may end up in a mail header or a spreadsheet cell.
"""

from __future__ import annotations

import re

# C0 and C1 control characters and DEL: never in a single-line value.
SINGLE_LINE_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# The same without tab, line feed and carriage return: never in any text.
MULTILINE_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LINE_BREAKS = re.compile(r"[\t\r\n\x0b\x0c\x85\u2028\u2029]+")
# A cell starting with one of these is a formula (or DDE) for Excel and LibreOffice (OWASP: CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def has_forbidden_characters(text: str, *, multiline: bool = True) -> bool:
    """Whether the text holds a control character it must not hold (tab and line breaks only in
    multi-line text)."""
    pattern = MULTILINE_FORBIDDEN if multiline else SINGLE_LINE_FORBIDDEN
    return pattern.search(text) is not None


def one_line(text: str) -> str:
    """The text on one line: line breaks and tabs become one space, other control characters go.

    For places where a break would change the meaning: mail headers, log lines, file names.
    """
    return SINGLE_LINE_FORBIDDEN.sub("", _LINE_BREAKS.sub(" ", text)).strip()


def looks_like_formula(value) -> bool:
    """Whether a spreadsheet would evaluate this string as a formula (or DDE call)."""
    return isinstance(value, str) and value.startswith(FORMULA_PREFIXES)


def csv_cell(value):
    """A CSV cell that Excel and LibreOffice show as text: a formula-like string gets a leading single
    quote (OWASP's advice), so `=HYPERLINK(…)` in a Kommune's or person's name is never evaluated."""
    return "'" + value if looks_like_formula(value) else value


def append_text_row(sheet, values) -> None:
    """Append a row to an openpyxl sheet with every string stored as text, never as a formula
    (openpyxl writes a string starting with '=' as a live formula)."""
    sheet.append(values)
    for cell in sheet[sheet.max_row]:
        if looks_like_formula(cell.value):
            cell.data_type = "s"


def validates_own_text(view):
    """Mark a view whose form refuses control characters field by field (with the message next to
    the field, as the profile editor does through the profile model): the text guard then leaves its
    form values to it and checks only path, query and file names."""
    view.validates_own_text = True
    return view
