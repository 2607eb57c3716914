"""Form building blocks shared by the domains."""

from __future__ import annotations

import wtforms
from markupsafe import Markup, escape
from wtforms.utils import unset_value
from wtforms.widgets import Select


class OptionListSelect(Select):
    """WTForms' select widget with a short path for plain options (no per-option attributes).

    The same HTML as WTForms writes, in about half the time: the search page's Kreis list has ~400
    options and the topic lists ~40, rendered on every filter request.
    """

    @classmethod
    def render_option(cls, choice, **kwargs):
        if kwargs or choice.render_kw or isinstance(choice.value, bool):
            return super().render_option(choice, **kwargs)
        selected = " selected" if choice.selected else ""
        label = escape(choice.label or choice.value)
        return Markup(f'<option{selected} value="{escape(choice.value)}">{label}</option>')


class SelectField(wtforms.SelectField):
    """The platform's select field: WTForms' own with the faster option rendering."""

    widget = OptionListSelect()


# --- integers from forms and query strings ---------------------------------------------------------

# Long enough for any id (MAX_ID has 10 digits); int() of a longer string is work an attacker chooses.
_MAX_INT_DIGITS = 18


def parse_form_int(raw, *, minimum: int, maximum: int) -> int | None:
    """The integer a form value spells in ASCII digits, within [minimum, maximum]; else None.

    `str.isdigit()` and `int()` accept Unicode digits such as '²' (isdigit says yes, int says no:
    a 500) or '١٢' (Arabic-Indic); a form integer is only ever typed as 0-9. Leading/trailing blanks
    are ignored, a sign is not accepted. Every form and query string that reads an integer uses this.
    """
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    if not text or len(text) > _MAX_INT_DIGITS or not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if minimum <= value <= maximum else None


class BoundedFieldList(wtforms.FieldList):
    """WTForms' FieldList reading at most `max_entries` rows, with ASCII-only row indices.

    WTForms takes every `name-<digits>-…` key it finds (Unicode digits included, so 'projekte-²-x'
    crashes int()) and would build as many rows as the request holds. Here indices must be ASCII
    digits below `max_index`; rows beyond `max_entries` are not read but counted in `overflow`, so
    the view can say so next to the list instead of dropping them silently.
    """

    def __init__(self, *args, max_index: int = 10_000, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_index = max_index
        self.overflow = 0

    def _extract_indices(self, prefix, formdata):
        offset = len(prefix) + 1
        seen: set[int] = set()
        for key in formdata:
            if not key.startswith(prefix + self._field_separator):
                continue
            raw = key[offset:].split(self._field_separator, 1)[0]
            index = parse_form_int(raw, minimum=0, maximum=self.max_index)
            if index is not None and index not in seen:
                seen.add(index)
                yield index

    def process(self, formdata, data=unset_value, extra_filters=None):
        if formdata:
            total = len(set(self._extract_indices(self.name, formdata)))
            self.overflow = max(0, total - self.max_entries) if self.max_entries else 0
        super().process(formdata, data, extra_filters)


class SingleLine:
    """WTForms validator: a single-line value (a name, a title) holds no line break, tab or other
    control character; the message says so next to the field."""

    def __init__(self, message=None):
        self.message = message

    def __call__(self, form, field):
        from flask_babel import gettext

        from plattform.core.text import has_forbidden_characters

        if isinstance(field.data, str) and has_forbidden_characters(field.data, multiline=False):
            raise wtforms.validators.ValidationError(
                self.message
                or gettext("Bitte ohne Zeilenumbruch und ohne Steuerzeichen eingeben (eine Zeile).")
            )


# Pages beyond this show nothing anyway; a larger number only makes the offset overflow the database.
MAX_PAGE = 100_000


def page_number(raw) -> int:
    """The page a list shows (`?page=`): ASCII digits from 1 to MAX_PAGE, else the first page."""
    return parse_form_int(raw, minimum=1, maximum=MAX_PAGE) or 1


def paginate(stmt, *, per_page: int, **kwargs):
    """Flask-SQLAlchemy's paginate with the page read by page_number: `?page=9999…9` answered 500
    (the offset overflows SQLite's and PostgreSQL's integers)."""
    from flask import request

    from plattform.extensions import db

    return db.paginate(
        stmt, page=page_number(request.args.get("page")), per_page=per_page, error_out=False, **kwargs
    )
