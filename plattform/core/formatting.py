"""Numbers, dates and times for people, by Babel in the request's language and the Berlin time zone.

Templates use the filters ``decimal``, ``date`` and ``datetime``; e-mails and exports call the same
functions. A stored time is UTC (SQLite returns it without zone: then it is taken as UTC); it is shown
in Europe/Berlin (``BABEL_DEFAULT_TIMEZONE``). Outside a request the language is German.
"""

from __future__ import annotations

from datetime import date as _date
from datetime import datetime as _datetime

from babel import numbers
from flask import Flask, has_app_context
from flask_babel import format_date, format_decimal, format_time, gettext


def decimal(value: float | int | None, digits: int | None = None, missing: str = "–") -> str:
    """12.345 (de) or 12,345 (en); ``digits`` fixed decimal places; None shows ``missing``."""
    if value is None:
        return missing
    pattern = None if digits is None else "#,##0" + ("." + "0" * digits if digits else "")
    if not has_app_context():  # a library call outside the app (tests, scripts): German
        return numbers.format_decimal(value, format=pattern, locale="de")
    return format_decimal(value, format=pattern)


def percent(value: float | int | None, digits: int | None = None, missing: str = "–") -> str:
    """A percentage already multiplied by 100: 13,3 % (de, with the space of German typesetting) or
    13.3% (en)."""
    if value is None:
        return missing
    number = decimal(value, digits)
    if not has_app_context():
        return f"{number} %"
    return gettext("%(num)s %%", num=number)


def date(value: _date | _datetime | None, missing: str = "–") -> str:
    """24.11.2026 (de) or 24 Nov 2026 (en); a datetime is converted to Berlin first."""
    if value is None:
        return missing
    return format_date(value, "medium")


def datetime(value: _datetime | None, missing: str = "–") -> str:
    """24.11.2026, 09:00 (de) or Nov 24, 2026, 9:00 AM (en), in Berlin time."""
    if value is None:
        return missing
    return f"{format_date(value, 'medium')}, {format_time(value, 'short')}"


def register_formatting(app: Flask) -> None:
    """The Jinja filters ``decimal``, ``date`` and ``datetime``."""
    app.jinja_env.filters.update(decimal=decimal, date=date, datetime=datetime)
