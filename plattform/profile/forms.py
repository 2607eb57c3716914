"""Forms of the profile domain: type test, profile editor, spreadsheet upload.

The forms only carry values and CSRF; what is valid is decided by ``matching.typology`` and the
profile model ``matching.profiles`` (the same rules as the API and the bulk import), and the views put
its messages next to the field they name.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, Form, FormField, SelectMultipleField, StringField
from wtforms.widgets import CheckboxInput, ListWidget

from plattform.core.forms import BoundedFieldList, SelectField, parse_form_int
from plattform.core.routing import MAX_ID

try:  # WTForms 3.3 deprecates (value, label) tuples in favour of SelectChoice
    from wtforms.fields.choices import SelectChoice as _Choice
except ImportError:  # pragma: no cover - WTForms 3.1/3.2

    def _Choice(value, label):  # stands in for the class
        return (value, label)


from matching.profiles import CHOICE_LABELS_DE, FIELD_LABELS_DE, MAX_PROJECTS
from matching.typology import MAX_GOALS
from matching.vocabulary import GOALS, PROJECT_STATUSES, TOPIC_SLUGS
from plattform.i18n import GOAL_LABELS, HANDLUNGSFELD_LABELS, OPEN_FOR_LABELS, TOPIC_LABELS, LocalizedLabels

# The checkbox fields' labels in the request's language (the same vocabularies as CHOICE_LABELS_DE).
_CHOICE_LABELS: dict[str, LocalizedLabels] = {
    "ziele": GOAL_LABELS,
    "handlungsfelder": HANDLUNGSFELD_LABELS,
    "offen_fuer": OPEN_FOR_LABELS,
}

GOAL_FIELD_LABELS = (_l("Wichtigstes Ziel"), _l("Zweitwichtigstes Ziel"), _l("Drittwichtigstes Ziel"))
GOAL_FIELDS: tuple[str, ...] = tuple(f"ziel_{i}" for i in range(1, MAX_GOALS + 1))

# Words next to the numbers, so a level never depends on colour or on knowing the scale.
STRENGTH_WORDS = {0: _l("keine"), 1: _l("Grundlagen"), 2: _l("Erfahrung"), 3: _l("Expertise")}
NEED_WORDS = {0: _l("kein Bedarf"), 1: _l("niedrig"), 2: _l("mittel"), 3: _l("hoch")}
STATUS_LABELS = {"geplant": _l("geplant"), "laufend": _l("laufend"), "abgeschlossen": _l("abgeschlossen")}


def strength_field_name(slug: str) -> str:
    """Form field name of a topic's strength select."""
    return f"staerke_{slug}"


def need_field_name(slug: str) -> str:
    """Form field name of a topic's need select."""
    return f"bedarf_{slug}"


class MultiCheckboxField(SelectMultipleField):
    """A group of checkboxes (no JavaScript, one label per box)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class TypeTestForm(FlaskForm):
    """Rank up to three of the study's ten goals; optionally save the result for a Kommune."""

    ziel_1 = SelectField(GOAL_FIELD_LABELS[0], validate_choice=False)
    ziel_2 = SelectField(GOAL_FIELD_LABELS[1], validate_choice=False)
    ziel_3 = SelectField(GOAL_FIELD_LABELS[2], validate_choice=False)
    kommune = SelectField(_l("Ergebnis speichern für"), validate_choice=False)

    def __init__(self, *args, kommune_choices: list[tuple[str, str]] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        goal_choices = [
            _Choice("", str(_l("– bitte wählen –"))),
            *(_Choice(g, GOAL_LABELS[g]) for g in GOALS),
        ]
        for name in GOAL_FIELDS:
            self[name].choices = goal_choices
        no_save = _Choice("", str(_l("nicht speichern, nur Ergebnis ansehen")))
        self.kommune.choices = [no_save, *(_Choice(v, label) for v, label in kommune_choices or [])]

    def ranking(self, formdata) -> list[str]:
        """The ranked goals as sent: ziel_1, ziel_2, … in order, empty trailing selects dropped.

        Also reads ziel_4 and beyond, so a request with more than three goals is refused with the
        typology's message rather than silently cut.
        """
        sent: dict[int, str] = {}
        beyond: list[tuple[int, str]] = []
        for key in formdata:
            if not key.startswith("ziel_"):
                continue
            rank = parse_form_int(key[5:], minimum=1, maximum=MAX_ID)
            if rank is None:
                continue  # not a goal field ("ziel_²", "ziel_-1")
            value = formdata.get(key, "").strip()
            if rank <= len(GOALS):
                sent[rank] = value
            elif value:
                beyond.append((rank, value))
        # A rank past the ten goals leaves a gap, as it always did, and its goal follows the gap (so
        # the ranking is refused with the usual message), but the rank never decides the list's length.
        ranking = [sent.get(n, "") for n in range(1, max(sent, default=0) + 1)]
        if beyond:
            ranking += ["", *(value for _rank, value in sorted(beyond))]
        while ranking and not ranking[-1]:
            ranking.pop()
        return ranking


class ProjectForm(Form):
    """One project row of the editor (no CSRF of its own: it lives inside the editor form)."""

    thema = SelectField(_l("Thema"), validate_choice=False)
    titel = StringField(_l("Titel"))
    status = SelectField(
        _l("Status"),
        choices=lambda: [_Choice(s, str(STATUS_LABELS[s])) for s in PROJECT_STATUSES],
        validate_choice=False,
    )
    link = StringField(_l("Link"))
    entfernen = BooleanField(_l("Projekt entfernen"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.thema.choices = [("", str(_l("– Thema wählen –")))] + [(s, TOPIC_LABELS[s]) for s in TOPIC_SLUGS]


class ProfileEditorForm(FlaskForm):
    """The whole profile on one page: strengths and needs per topic, the simple fields, projects.

    The simple fields (every stored column of the profile model but the type test's goals) are made
    from the model: a field with choice labels in ``CHOICE_LABELS_DE`` becomes a group of checkboxes,
    any other a text input; the label is ``FIELD_LABELS_DE``. What is valid decides the model.
    """

    # The rows the profile may hold plus the editor's blank ones; more are counted, not read.
    projekte = BoundedFieldList(FormField(ProjectForm), min_entries=0, max_entries=MAX_PROJECTS + 2)


def simple_fields() -> tuple[str, ...]:
    """The profile fields the editor shows as one form field each (in the model's order)."""
    from plattform.profile.services import column_fields

    return tuple(name for name in column_fields() if name != "ziele")


def _simple_field(name: str):
    label = _l(FIELD_LABELS_DE.get(name, name))
    if name in CHOICE_LABELS_DE:
        labels = _CHOICE_LABELS[name]
        return MultiCheckboxField(
            label, choices=lambda: [_Choice(s, labels[s]) for s in labels], validate_choice=False
        )
    return StringField(label)


for _name in simple_fields():
    setattr(ProfileEditorForm, _name, _simple_field(_name))


def _strength_choices() -> list[tuple[str, str]]:
    """Levels as words (the values stay 0–3); translated at render time, not at import."""
    return [_Choice(str(n), str(STRENGTH_WORDS[n])) for n in range(4)]


def _need_choices() -> list[tuple[str, str]]:
    """Priorities as words (the values stay 0–3); translated at render time, not at import."""
    return [_Choice(str(n), str(NEED_WORDS[n])) for n in range(4)]


for _slug in TOPIC_SLUGS:
    setattr(
        ProfileEditorForm,
        strength_field_name(_slug),
        SelectField(_l("Stärke"), choices=_strength_choices, default="0", validate_choice=False),
    )
    setattr(
        ProfileEditorForm,
        need_field_name(_slug),
        SelectField(_l("Bedarf"), choices=_need_choices, default="0", validate_choice=False),
    )


class UploadForm(FlaskForm):
    """A profile file from a coordinator's spreadsheet (CSV, XLSX) or a JSON export."""

    datei = FileField(_l("Datei mit Profilen"))
