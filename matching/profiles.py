"""The profile of a Kommune (DESIGN.md, "Data formats"): the one model every entrance validates with.

One profile is one JSON object in the shape of DESIGN.md, "Data formats" (keys ``ags``, ``ziele``,
``handlungsfelder``, ``staerken``, ``bedarfe``, ``projekte``, ``offen_fuer``, ``reichweite_km``; an
example is in docs/typtest.md).

``ProfileData`` is a pydantic dataclass: constructing one validates it, and ``parse_profile`` turns a
JSON object (from a file, the API, the editor or a spreadsheet row) into one. Every rule lives in the
annotated types below, once; their JSON Schema (``profile_json_schema``) is the API's description of
the document. A failed validation raises ``ProfileFormatError`` with *every* problem of the record, each
a ``ProfileIssue`` naming the record and the field, with a German message whose template is marked for
the English catalogue (``N_``; ``issue.message(gettext)`` renders it in the reader's language).

Only ``ags`` is required. A new profile gets defaults for what a record leaves out: no goals, fields,
strengths, needs or projects; ``offen_fuer`` all three options; ``reichweite_km`` 50. When a record
updates a stored profile, what it does not mention stays as stored (``mentioned_fields``); an empty
value (``[]``, ``{}``, an empty cell) clears the field. A key ``name`` is accepted and ignored (people
like to keep the Kommune's name next to its AGS); any other unknown key is an error, so a typo such as
``staerke`` cannot silently drop data.

Spreadsheet column scheme (CSV and XLSX, one row per Kommune, see ``CSV_COLUMNS``; a header cell may
be the slug or the German label of ``COLUMN_LABELS_DE``):

- ``ags``: 8-digit AGS of a Gemeinde/Stadt, or the 5-digit Kreisschlüssel of a Kreis. A value that
  lost its leading zero in a spreadsheet (7 or 4 digits) is padded back.
- ``ziel_1``, ``ziel_2``, ``ziel_3``: goal slugs, most important first; may be left empty from the end.
- ``handlungsfelder``: field slugs separated by ``;`` (``a;b;c``).
- ``staerke:<topic>`` for every topic: empty, or the level 1–3 of what the Kommune can teach.
- ``bedarf:<topic>`` for every topic: empty, or the priority 1–3 of what it wants to learn.
- ``projekte``: ``thema|status|titel`` entries separated by ``;`` (an optional fourth part is a link);
  a title must not contain ``;`` or ``|``; without a title the topic's label is used.
- ``offen_fuer``: slugs of ``lernpartnerschaft``, ``gemeinsames-projekt``, ``nachnutzung`` separated by
  ``;``. Empty means all three.
- ``reichweite_km``: whole kilometres, 1–1000; empty means 50.
- ``name``: optional, ignored.

A column that a file leaves out is not mentioned (the stored value stays); the goals are mentioned when
one ``ziel_`` column is there, strengths and needs when one ``staerke:`` or ``bedarf:`` column is.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import field
from typing import Annotated, Any, Literal

import annotated_types as at
from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field, StringConstraints, TypeAdapter
from pydantic import ValidationError as _ValidationError
from pydantic.dataclasses import dataclass
from pydantic.json_schema import GenerateJsonSchema
from pydantic_core import PydanticCustomError

from matching.vocabulary import (
    GOAL_LABELS_DE,
    GOALS,
    HANDLUNGSFELD_LABELS_DE,
    HANDLUNGSFELDER,
    OPEN_FOR,
    OPEN_FOR_LABELS_DE,
    PROJECT_STATUSES,
    TOPIC_INDEX,
    TOPIC_LABELS_DE,
    TOPIC_SLUGS,
)

MAX_GOALS = 3
DEFAULT_REICHWEITE_KM = 50
# Germany spans about 900 km; a reach above 1000 km is a typo (metres, not kilometres).
MAX_REICHWEITE_KM = 1000
MAX_PROJECTS = 50
MAX_TITLE_LEN = 200
MAX_LINK_LEN = 500
MAX_NAME_LEN = 200

# Land 01–16, then the Kreis (3 digits), then optionally the Gemeinde (3 digits).
AGS_PATTERN = "^(0[1-9]|1[0-6])[0-9]{3}([0-9]{3})?$"
# Text that is stored: no control characters (PostgreSQL refuses NUL; the others are never meant).
PLAIN_TEXT_PATTERN = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"
LINK_PATTERN = "^https?://[^\\s\\u0000-\\u001f\\u007f-\\u009f]+$"

PROFILE_KEYS: tuple[str, ...] = (
    "ags",
    "ziele",
    "handlungsfelder",
    "staerken",
    "bedarfe",
    "projekte",
    "offen_fuer",
    "reichweite_km",
)
# The fields a record may leave out (everything but the key).
PROFILE_FIELDS: frozenset[str] = frozenset(PROFILE_KEYS[1:])
IGNORED_KEYS: tuple[str, ...] = ("name",)

GOAL_COLUMNS: tuple[str, ...] = tuple(f"ziel_{i}" for i in range(1, MAX_GOALS + 1))
STAERKE_PREFIX = "staerke:"
BEDARF_PREFIX = "bedarf:"
CSV_COLUMNS: tuple[str, ...] = (
    "ags",
    *GOAL_COLUMNS,
    "handlungsfelder",
    *(STAERKE_PREFIX + s for s in TOPIC_SLUGS),
    *(BEDARF_PREFIX + s for s in TOPIC_SLUGS),
    "projekte",
    "offen_fuer",
    "reichweite_km",
)
CSV_IGNORED_COLUMNS: tuple[str, ...] = ("name",)

_AGS_RE = re.compile(AGS_PATTERN)
_SHAPE_RE = re.compile(r"^(\d{8}|\d{5})$")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_LINK_RE = re.compile(r"^https?://\S+$")


def N_(message: str) -> str:
    """Mark a German message template for the catalogue (babel.cfg keyword) without translating it."""
    return message


# --------------------------------------------------------------------------- issues


class ProfileIssue:
    """One problem of one record: where (record, field path) and what (German template + parameters)."""

    __slots__ = ("code", "loc", "params", "record", "template")

    def __init__(
        self, record: str, loc: tuple, template: str, params: Mapping[str, Any] | None = None, code: str = ""
    ) -> None:
        self.record = str(record)
        self.loc = tuple(loc)
        self.template = template
        self.params = dict(params or {})
        self.code = code

    @property
    def field(self) -> str:
        """The field as the messages name it: 'ags', 'ziele', 'staerken.fim', 'projekte.2.status'."""
        return field_path(self.loc)

    @property
    def message_de(self) -> str:
        """The German message."""
        return self.template % self.params if self.params else self.template

    def message(self, gettext=None) -> str:
        """The message in the language of ``gettext`` (Flask-Babel's ``gettext``); German without one."""
        if gettext is None:
            return self.message_de
        return gettext(self.template, **self.params) if self.params else gettext(self.template)

    def __repr__(self) -> str:
        return f"ProfileIssue({self.record!r}, {self.field!r}, {self.message_de!r})"


class ProfileFormatError(ValueError):
    """A profile record is invalid; ``issues`` lists every problem, each naming record and field."""

    def __init__(self, issues: Sequence[ProfileIssue]) -> None:
        self.issues: tuple[ProfileIssue, ...] = tuple(issues)
        first = self.issues[0]
        self.record, self.field, self.message_de = first.record, first.field, first.message_de
        super().__init__(
            "; ".join(f"Datensatz {i.record}, Feld '{i.field}': {i.message_de}" for i in self.issues)
        )


def field_path(loc: Sequence) -> str:
    """Render a validation location: list fields by name, topics by slug, projects numbered from 1."""
    parts = [p for p in loc if p != "[key]"]
    if not parts:
        return "-"
    head = str(parts[0])
    if head in ("ziele", "handlungsfelder", "offen_fuer"):
        return head
    if head == "projekte" and len(parts) > 1 and isinstance(parts[1], int):
        return ".".join(["projekte", str(parts[1] + 1), *(str(p) for p in parts[2:])])
    return ".".join(str(p) for p in parts)


def _fail(code: str, template: str, **params: Any):
    """Raise the pydantic error that carries one of our German templates."""
    raise PydanticCustomError(
        code, "{message}", {"message": template % params if params else template, "t": template, "p": params}
    )


# --------------------------------------------------------------------------- the rules, once


def _ags(value: Any) -> Any:
    if not isinstance(value, str):
        _fail(
            "ags_not_text",
            N_("Der AGS muss als Text angegeben werden (wegen führender Nullen), nicht %(value)s."),
            value=repr(value),
        )
    if not _SHAPE_RE.match(value):
        _fail(
            "ags_shape",
            N_(
                "AGS %(value)s ist ungültig: erwartet werden 8 Ziffern (Gemeinde oder Stadt) "
                "oder 5 Ziffern (Kreisschlüssel eines Kreises)."
            ),
            value=repr(value),
        )
    if not _AGS_RE.match(value):
        _fail(
            "ags_land",
            N_("AGS %(value)s ist ungültig: die ersten beiden Ziffern (Land) liegen nicht bei 01–16."),
            value=repr(value),
        )
    return value


def _list_of(name: str, maximum: int | None = None):
    """Before-validator of a list field: a list (or tuple), at most ``maximum`` entries."""

    def check(value: Any) -> Any:
        if not isinstance(value, list | tuple):
            _fail("not_list", N_("%(field)s muss eine Liste sein."), field=name)
        if maximum is not None and len(value) > maximum:
            if name == "ziele":
                _fail(
                    "too_many_goals",
                    N_("Höchstens %(max)d Digitalisierungsziele erlaubt, angegeben sind %(count)d."),
                    max=maximum,
                    count=len(value),
                )
            _fail(
                "too_many_projects",
                N_("Höchstens %(max)d Projekte erlaubt, angegeben sind %(count)d."),
                max=maximum,
                count=len(value),
            )
        return value

    return check


def _member(allowed: Iterable[str], code: str, template: str):
    """Before-validator of one slug: it must be one of ``allowed``."""
    allowed = frozenset(allowed)

    def check(value: Any) -> Any:
        if not isinstance(value, str) or value not in allowed:
            _fail(code, template, value=repr(value))
        return value

    return check


def _distinct(code: str, template: str, labels: Mapping[str, str] | None = None):
    """After-validator of a list of slugs: no slug twice (the error points at the repeated entry)."""

    def check(values: tuple) -> tuple:
        seen: set[str] = set()
        for index, value in enumerate(values):
            if value in seen:
                label = {"label": labels[value]} if labels is not None else {}
                _fail(code, template, value=repr(value), index=index, **label)
            seen.add(value)
        return values

    return check


def _canonical_open_for(values: tuple) -> tuple:
    return tuple(o for o in OPEN_FOR if o in values)


def _mapping(name: str, template: str):
    def check(value: Any) -> Any:
        if not isinstance(value, Mapping):
            _fail("not_mapping", template, field=name)
        return value

    return check


def _level(not_int: str, out_of_range: str):
    """Before-validator of a level 1–3; 2.0 counts as 2 (JSON does not tell them apart)."""

    def check(value: Any) -> Any:
        # bool is an int subclass; True must not pass as level 1.
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            _fail("level_not_int", not_int, value=repr(value))
        if not 1 <= value <= 3:
            _fail("level_range", out_of_range, value=value)
        return value

    return check


def _sorted_levels(levels: Mapping[str, int]) -> dict[str, int]:
    """Levels in vocabulary order, so exports are stable and diffable."""
    return {k: levels[k] for k in sorted(levels, key=lambda s: TOPIC_INDEX.get(s, len(TOPIC_INDEX)))}


_TEXT_MESSAGES = {
    "titel": (
        N_("Der Titel muss ein Text sein."),
        N_("Der Titel ist länger als %(max)d Zeichen."),
        N_("Der Titel enthält Steuerzeichen (etwa NUL oder Zeilenumbrüche); bitte nur Text angeben."),
    ),
    "name": (
        N_("Der Name muss ein Text sein."),
        N_("Der Name ist länger als %(max)d Zeichen."),
        N_("Der Name enthält Steuerzeichen (etwa NUL oder Zeilenumbrüche); bitte nur Text angeben."),
    ),
}


def _plain_text(what: str, maximum: int):
    """Before-validator of a stored text: a string of at most ``maximum`` characters, no control ones."""
    not_text, too_long, control = _TEXT_MESSAGES[what]

    def check(value: Any) -> Any:
        if value is None:
            return None
        if not isinstance(value, str):
            _fail("text_type", not_text)
        if len(value) > maximum:
            _fail("text_too_long", too_long, max=maximum)
        if _CONTROL_RE.search(value):
            _fail("text_control", control)
        return value

    return check


def _title(value: Any) -> Any:
    value = _plain_text("titel", MAX_TITLE_LEN)(value)
    if value is None or not value.strip():
        return None  # the topic's label (ProjectEntry.__post_init__)
    return value.strip()


def _link(value: Any) -> Any:
    if value is None or value == "":
        return None
    if (
        not isinstance(value, str)
        or len(value) > MAX_LINK_LEN
        or not _LINK_RE.match(value)
        or _CONTROL_RE.search(value)
    ):
        _fail("link", N_("Link %(value)s ist keine gültige http(s)-Adresse."), value=repr(value)[:80])
    return value


def _reach(value: Any) -> Any:
    """Reach in whole kilometres, 1..MAX_REICHWEITE_KM; 60.0 counts as 60, 12.4 is refused."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        _fail("reach_not_number", N_("Reichweite %(value)s ist keine Zahl (Kilometer)."), value=repr(value))
    if isinstance(value, float):
        if not value.is_integer():
            _fail(
                "reach_not_whole",
                N_("Reichweite %(value)s km ist keine ganze Zahl; bitte ganze Kilometer angeben."),
                value=f"{value:g}",
            )
        value = int(value)
    if not 1 <= value <= MAX_REICHWEITE_KM:
        _fail(
            "reach_range",
            N_("Reichweite %(value)s km ist nicht möglich: erlaubt sind 1 bis %(max)d km."),
            value=value,
            max=MAX_REICHWEITE_KM,
        )
    return value


def _project_object(value: Any) -> Any:
    if not isinstance(value, Mapping | ProjectEntry):
        _fail("project_not_object", N_("Ein Projekt muss ein Objekt mit thema und status sein."))
    return value


_UNKNOWN_TOPIC = N_("Unbekanntes Thema %(value)s.")

Ags = Annotated[
    str,
    StringConstraints(pattern=AGS_PATTERN),
    BeforeValidator(_ags),
    Field(description="8-stelliger AGS oder 5-stelliger Kreisschlüssel"),
]
TopicSlug = Annotated[Literal[TOPIC_SLUGS], BeforeValidator(_member(TOPIC_SLUGS, "topic", _UNKNOWN_TOPIC))]
Goal = Annotated[
    Literal[GOALS],
    BeforeValidator(_member(GOALS, "goal", N_("Unbekanntes Digitalisierungsziel %(value)s."))),
]
Handlungsfeld = Annotated[
    Literal[HANDLUNGSFELDER],
    BeforeValidator(_member(HANDLUNGSFELDER, "handlungsfeld", N_("Unbekanntes Handlungsfeld %(value)s."))),
]
OpenFor = Annotated[
    Literal[OPEN_FOR],
    BeforeValidator(_member(OPEN_FOR, "open_for", N_("Unbekannte Kooperationsform %(value)s."))),
]
ProjectStatus = Annotated[
    Literal[PROJECT_STATUSES],
    BeforeValidator(
        _member(
            PROJECT_STATUSES,
            "project_status",
            N_("Status %(value)s ist ungültig; erlaubt sind geplant, laufend, abgeschlossen."),
        )
    ),
]


def _level_type(word: str):
    """A level 1–3 whose messages call it ``word`` (Stufe for strengths, Priorität for needs)."""
    messages = {
        "Stufe": (
            N_("Stufe %(value)s ist keine ganze Zahl zwischen 1 und 3."),
            N_("Stufe %(value)s liegt nicht zwischen 1 und 3."),
        ),
        "Priorität": (
            N_("Priorität %(value)s ist keine ganze Zahl zwischen 1 und 3."),
            N_("Priorität %(value)s liegt nicht zwischen 1 und 3."),
        ),
    }[word]
    return Annotated[int, at.Interval(ge=1, le=3), BeforeValidator(_level(*messages))]


Strength = _level_type("Stufe")
Need = _level_type("Priorität")
_UNIQUE = {"uniqueItems": True}
Goals = Annotated[
    tuple[Goal, ...],
    at.MaxLen(MAX_GOALS),
    BeforeValidator(_list_of("ziele", MAX_GOALS)),
    AfterValidator(
        _distinct("goal_twice", N_("Das Ziel %(value)s (%(label)s) ist doppelt angegeben."), GOAL_LABELS_DE)
    ),
    Field(
        json_schema_extra=_UNIQUE,
        description="Digitalisierungsziele, das wichtigste zuerst",
    ),
]
Handlungsfelder = Annotated[
    tuple[Handlungsfeld, ...],
    BeforeValidator(_list_of("handlungsfelder")),
    AfterValidator(_distinct("handlungsfeld_twice", N_("Handlungsfeld %(value)s ist doppelt angegeben."))),
    Field(json_schema_extra=_UNIQUE),
]
OpenFors = Annotated[
    tuple[OpenFor, ...],
    BeforeValidator(_list_of("offen_fuer")),
    AfterValidator(_distinct("open_for_twice", N_("Kooperationsform %(value)s ist doppelt angegeben."))),
    AfterValidator(_canonical_open_for),
    Field(json_schema_extra=_UNIQUE, description="Kooperationsformen; fehlt das Feld, gelten alle drei"),
]
Strengths = Annotated[
    dict[TopicSlug, Strength],
    BeforeValidator(_mapping("staerken", N_("%(field)s muss ein Objekt Thema → Stufe sein."))),
    AfterValidator(_sorted_levels),
    Field(description="Thema → Stufe 1–3 dessen, was die Kommune anderen beibringen kann"),
]
Needs = Annotated[
    dict[TopicSlug, Need],
    BeforeValidator(_mapping("bedarfe", N_("%(field)s muss ein Objekt Thema → Priorität sein."))),
    AfterValidator(_sorted_levels),
    Field(description="Thema → Priorität 1–3 dessen, was die Kommune lernen möchte"),
]
Reach = Annotated[
    int,
    at.Interval(ge=1, le=MAX_REICHWEITE_KM),
    BeforeValidator(_reach),
    Field(description="Reichweite in ganzen Kilometern"),
]
Title = Annotated[
    Annotated[str, StringConstraints(max_length=MAX_TITLE_LEN, pattern=PLAIN_TEXT_PATTERN)] | None,
    BeforeValidator(_title),
    Field(description="ohne Titel gilt die Bezeichnung des Themas"),
]
Link = Annotated[
    Annotated[str, StringConstraints(max_length=MAX_LINK_LEN, pattern=LINK_PATTERN)] | None,
    BeforeValidator(_link),
]
Name = Annotated[
    Annotated[str, StringConstraints(max_length=MAX_NAME_LEN, pattern=PLAIN_TEXT_PATTERN)] | None,
    BeforeValidator(_plain_text("name", MAX_NAME_LEN)),
    Field(description="Name der Kommune; wird beim Einlesen nicht ausgewertet"),
]


@dataclass(
    frozen=True,
    config=ConfigDict(
        extra="forbid",
        json_schema_extra={
            "description": "Ein Projekt, an dem die Kommune arbeitet (geplant, laufend, fertig)."
        },
    ),
)
class ProjectEntry:
    """A project a Kommune works on; the basis of shared-project proposals."""

    thema: TopicSlug
    status: ProjectStatus
    titel: Title = None
    link: Link = None

    def __post_init__(self) -> None:
        if self.titel is None:
            object.__setattr__(self, "titel", TOPIC_LABELS_DE[self.thema])


Projects = Annotated[
    tuple[Annotated[ProjectEntry, BeforeValidator(_project_object)], ...],
    at.MaxLen(MAX_PROJECTS),
    BeforeValidator(_list_of("projekte", MAX_PROJECTS)),
]


@dataclass(
    frozen=True,
    config=ConfigDict(
        extra="forbid",
        json_schema_extra={
            "description": (
                "Das Profilformat aus DESIGN.md (deutsche Feldnamen: das Austauschformat der Tabellen). "
                "Nur ags ist Pflicht; nicht genannte Felder bleiben beim Einlesen, wie sie gespeichert sind."
            )
        },
    ),
)
class ProfileData:
    """A validated profile of one Kommune: the engine's input and every format's content."""

    ags: Ags
    ziele: Goals = ()
    handlungsfelder: Handlungsfelder = ()
    staerken: Strengths = field(default_factory=dict)
    bedarfe: Needs = field(default_factory=dict)
    projekte: Projects = ()
    offen_fuer: OpenFors = OPEN_FOR
    reichweite_km: Reach = DEFAULT_REICHWEITE_KM
    name: Name = field(default=None, compare=False, repr=False)


_PROFILE = TypeAdapter(ProfileData)

# What the editor shows for a field (German, translated where shown), and the labels of its choices.
FIELD_LABELS_DE: dict[str, str] = {
    "ziele": N_("Digitalisierungsziele"),
    "handlungsfelder": N_("Handlungsfelder"),
    "staerken": N_("Stärken"),
    "bedarfe": N_("Bedarfe"),
    "projekte": N_("Projekte"),
    "offen_fuer": N_("Offen für"),
    "reichweite_km": N_("Reichweite in km"),
}
CHOICE_LABELS_DE: dict[str, dict[str, str]] = {
    "ziele": GOAL_LABELS_DE,
    "handlungsfelder": HANDLUNGSFELD_LABELS_DE,
    "offen_fuer": OPEN_FOR_LABELS_DE,
}

# pydantic's own error types that a record can still produce, as German messages.
_STRUCTURE_MESSAGES = {
    "unexpected_keyword_argument": N_("Unbekanntes Feld %(key)s."),
    "extra_forbidden": N_("Unbekanntes Feld %(key)s."),
    "dataclass_type": N_("Ein Profil muss ein JSON-Objekt sein."),
}
_MISSING_MESSAGES = {
    "ags": N_("Der Amtliche Gemeindeschlüssel (AGS) fehlt."),
    "thema": N_("Das Thema des Projekts fehlt."),
    "status": N_("Der Status des Projekts fehlt; erlaubt sind geplant, laufend, abgeschlossen."),
}
_INVALID = N_("Der Wert ist ungültig.")


def issues_of(error: _ValidationError, record: str) -> list[ProfileIssue]:
    """Our issues for every error pydantic collected (one pass over the whole record)."""
    out = []
    for err in error.errors():
        loc = err["loc"]
        ctx = err.get("ctx") or {}
        kind = err["type"]
        if "t" in ctx:
            out.append(ProfileIssue(record, loc, ctx["t"], ctx["p"], kind))
        elif kind == "missing":
            last = str(loc[-1]) if loc else "ags"
            out.append(ProfileIssue(record, loc, _MISSING_MESSAGES.get(last, _INVALID), code=kind))
        elif kind in _STRUCTURE_MESSAGES:
            key = repr(str(loc[-1])) if loc else "-"
            params = {"key": key} if kind != "dataclass_type" else {}
            out.append(ProfileIssue(record, loc, _STRUCTURE_MESSAGES[kind], params, kind))
        else:
            out.append(ProfileIssue(record, loc, _INVALID, code=kind))
    return out


def parse_profile(obj: Mapping[str, Any], *, record: str | int) -> ProfileData:
    """Validate one profile object and return it; raise ProfileFormatError naming record and fields."""
    rec = str(record)
    if not isinstance(obj, Mapping):
        raise ProfileFormatError([ProfileIssue(rec, (), N_("Ein Profil muss ein JSON-Objekt sein."))])
    try:
        return _PROFILE.validate_python(obj if isinstance(obj, dict) else dict(obj))
    except _ValidationError as exc:
        raise ProfileFormatError(issues_of(exc, rec)) from None


def mentioned_fields(obj: Mapping[str, Any]) -> frozenset[str]:
    """The profile fields a JSON record mentions (what an update changes; the rest stays)."""
    return PROFILE_FIELDS.intersection(obj)


class _NoTitles(GenerateJsonSchema):
    """pydantic's JSON Schema without the generated 'title' of every property."""

    def field_title_should_be_set(self, schema) -> bool:
        return False


def profile_json_schema(ref_template: str = "#/$defs/{model}", mode: str = "validation") -> dict:
    """The JSON Schema (2020-12) of the profile document, as OpenAPI 3.1 embeds it."""
    schema = _PROFILE.json_schema(mode=mode, ref_template=ref_template, schema_generator=_NoTitles)
    schema.pop("title", None)
    return schema


def merge_profile(stored: ProfileData, update: ProfileData, mentioned: Iterable[str]) -> ProfileData:
    """The stored profile with the fields the update mentions replaced (the partial-record rule)."""
    mentioned = set(mentioned)
    values = {
        key: getattr(update if key in mentioned else stored, key) for key in PROFILE_KEYS if key != "ags"
    }
    return ProfileData(ags=update.ags, **values)


def profile_to_dict(p: ProfileData, *, with_name: bool = False) -> dict[str, Any]:
    """Serialise a profile to the JSON shape of DESIGN.md; parse_profile(profile_to_dict(p)) == p."""
    projekte = []
    for pr in p.projekte:
        entry: dict[str, Any] = {"thema": pr.thema, "status": pr.status, "titel": pr.titel}
        if pr.link:
            entry["link"] = pr.link
        projekte.append(entry)
    out: dict[str, Any] = {"ags": p.ags}
    if with_name and p.name:
        out["name"] = p.name
    out.update(
        {
            "ziele": list(p.ziele),
            "handlungsfelder": list(p.handlungsfelder),
            "staerken": dict(p.staerken),
            "bedarfe": dict(p.bedarfe),
            "projekte": projekte,
            "offen_fuer": list(p.offen_fuer),
            "reichweite_km": p.reichweite_km,
        }
    )
    return out


# --------------------------------------------------------------------------- spreadsheet rows


def _column_labels() -> dict[str, str]:
    labels = {"ags": "AGS", "name": "Name"}
    labels.update({col: f"Ziel {i}" for i, col in enumerate(GOAL_COLUMNS, start=1)})
    labels["handlungsfelder"] = "Handlungsfelder"
    labels.update({STAERKE_PREFIX + s: f"Stärke: {TOPIC_LABELS_DE[s]}" for s in TOPIC_SLUGS})
    labels.update({BEDARF_PREFIX + s: f"Bedarf: {TOPIC_LABELS_DE[s]}" for s in TOPIC_SLUGS})
    labels.update(projekte="Projekte", offen_fuer="Offen für", reichweite_km="Reichweite (km)")
    return labels


# German column headers of the spreadsheet (XLSX shows them, with the slugs in a hidden row below).
COLUMN_LABELS_DE: dict[str, str] = _column_labels()
_LABEL_TO_COLUMN = {" ".join(label.casefold().split()): col for col, label in COLUMN_LABELS_DE.items()}


def column_for_header(header: str) -> str | None:
    """The column a header cell names (its slug or its German label, any case), or None."""
    text = header.strip()
    if text in CSV_COLUMNS or text in CSV_IGNORED_COLUMNS:
        return text
    return _LABEL_TO_COLUMN.get(" ".join(text.casefold().split()))


def row_mentions(columns: Iterable[str]) -> frozenset[str]:
    """The profile fields a spreadsheet with these columns mentions."""
    cols = set(columns)
    mentioned = set()
    if cols & set(GOAL_COLUMNS):
        mentioned.add("ziele")
    if any(c.startswith(STAERKE_PREFIX) for c in cols):
        mentioned.add("staerken")
    if any(c.startswith(BEDARF_PREFIX) for c in cols):
        mentioned.add("bedarfe")
    mentioned.update(cols & {"handlungsfelder", "projekte", "offen_fuer", "reichweite_km"})
    return frozenset(mentioned)


def profile_to_row(p: ProfileData) -> dict[str, str]:
    """Flatten a profile into the spreadsheet column scheme (every column of CSV_COLUMNS present)."""
    row = dict.fromkeys(CSV_COLUMNS, "")
    row["ags"] = p.ags
    for col, goal in zip(GOAL_COLUMNS, p.ziele, strict=False):
        row[col] = goal
    row["handlungsfelder"] = ";".join(p.handlungsfelder)
    for slug, level in p.staerken.items():
        row[STAERKE_PREFIX + slug] = str(level)
    for slug, level in p.bedarfe.items():
        row[BEDARF_PREFIX + slug] = str(level)
    parts = []
    for pr in p.projekte:
        bits = [pr.thema, pr.status, _cell_safe(pr.titel)]
        if pr.link:
            bits.append(pr.link)
        parts.append("|".join(bits))
    row["projekte"] = "; ".join(parts)
    row["offen_fuer"] = ";".join(p.offen_fuer)
    row["reichweite_km"] = str(p.reichweite_km)
    return row


def _cell_safe(text: str) -> str:
    """';' and '|' separate projects and their parts, so they cannot appear inside a title."""
    return text.replace(";", ",").replace("|", "/")


def _cell_text(value: Any) -> str:
    """Spreadsheet cell -> stripped text; 3.0 from Excel becomes '3'."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _split_list(text: str) -> list[str]:
    """'a; b;c' -> ['a', 'b', 'c'] (',' accepted as well, slugs never contain one)."""
    return [s.strip() for s in re.split(r"[;,]", text) if s.strip()]


def _number_cell(text: str) -> Any:
    """'3' -> 3, '25,0' -> 25.0; anything else stays text for the model to refuse with its message."""
    if text.isascii() and text.isdigit():
        return int(text)
    try:
        return float(text.replace(",", ".")) if text.isascii() else text
    except ValueError:
        return text


def column_of(loc: Sequence, index: int | None = None) -> str:
    """The spreadsheet column to fix for an issue at ``loc`` of the JSON form (``index``: which goal)."""
    parts = [p for p in loc if p != "[key]"]
    if not parts:
        return "ags"
    head = str(parts[0])
    if head == "staerken" and len(parts) > 1:
        return STAERKE_PREFIX + str(parts[1])
    if head == "bedarfe" and len(parts) > 1:
        return BEDARF_PREFIX + str(parts[1])
    if head == "ziele":
        if len(parts) > 1 and isinstance(parts[1], int):
            index = parts[1]
        return GOAL_COLUMNS[min(index or 0, MAX_GOALS - 1)]
    if head.startswith("projekte"):
        return "projekte"
    return head


def row_to_object(row: Mapping[str, Any], *, record: str | int) -> tuple[dict[str, Any], list[ProfileIssue]]:
    """One spreadsheet row (column slug -> cell) as the JSON form, plus the problems only a row can have.

    Only the columns present in ``row`` are turned into fields (a missing column is not mentioned).
    Issues carry the column as their location.
    """
    rec = str(record)
    cells = {str(k).strip(): _cell_text(v) for k, v in row.items() if k is not None}
    issues: list[ProfileIssue] = []
    for col in cells:
        if col and col not in CSV_COLUMNS and col not in CSV_IGNORED_COLUMNS:
            issues.append(ProfileIssue(rec, (col,), N_("Unbekannte Spalte %(value)s."), {"value": repr(col)}))
    obj: dict[str, Any] = {}
    ags = cells.get("ags", "")
    if ags.isascii() and ags.isdigit() and len(ags) in (4, 7):
        ags = "0" + ags  # the spreadsheet dropped the leading zero of Länder 01–09
    obj["ags"] = ags
    if cells.get("name"):
        obj["name"] = cells["name"]
    mentioned = row_mentions(cells)

    if "ziele" in mentioned:
        goals: list[str] = []
        gap_at = None
        for col in GOAL_COLUMNS:
            val = cells.get(col, "")
            if not val:
                gap_at = gap_at or col
                continue
            if gap_at:
                issues.append(
                    ProfileIssue(
                        rec,
                        (gap_at,),
                        N_("%(empty)s ist leer, aber %(filled)s ist angegeben."),
                        {"empty": gap_at, "filled": col},
                    )
                )
                gap_at = None
            goals.append(val)
        obj["ziele"] = goals
    if "handlungsfelder" in mentioned:
        obj["handlungsfelder"] = _split_list(cells["handlungsfelder"])
    for prefix, key in ((STAERKE_PREFIX, "staerken"), (BEDARF_PREFIX, "bedarfe")):
        if key in mentioned:
            obj[key] = {
                slug: _number_cell(cells[prefix + slug]) for slug in TOPIC_SLUGS if cells.get(prefix + slug)
            }
    if "projekte" in mentioned:
        projekte = []
        for entry in (e.strip() for e in cells["projekte"].split(";")):
            if not entry:
                continue
            bits = [b.strip() for b in entry.split("|")]
            if len(bits) < 2 or len(bits) > 4:
                issues.append(
                    ProfileIssue(
                        rec,
                        ("projekte",),
                        N_("Projekt %(value)s hat nicht die Form thema|status|titel."),
                        {"value": repr(entry[:60])},
                    )
                )
                continue
            item: dict[str, Any] = {"thema": bits[0], "status": bits[1]}
            if len(bits) > 2:
                item["titel"] = bits[2]
            if len(bits) > 3:
                item["link"] = bits[3]
            projekte.append(item)
        obj["projekte"] = projekte
    if "offen_fuer" in mentioned:
        # Documented: an empty cell means all three.
        obj["offen_fuer"] = _split_list(cells["offen_fuer"]) if cells["offen_fuer"] else list(OPEN_FOR)
    if "reichweite_km" in mentioned:
        reach = cells["reichweite_km"]
        obj["reichweite_km"] = _number_cell(reach) if reach else DEFAULT_REICHWEITE_KM
    return obj, issues


def row_to_profile(row: Mapping[str, Any], *, record: str | int) -> ProfileData:
    """Parse one spreadsheet row (column -> cell) into a profile; every error names its column."""
    rec = str(record)
    obj, issues = row_to_object(row, record=rec)
    try:
        profile = parse_profile(obj, record=rec)
    except ProfileFormatError as exc:
        issues.extend(
            ProfileIssue(rec, (column_of(i.loc, i.params.get("index")),), i.template, i.params, i.code)
            for i in exc.issues
        )
        profile = None
    if issues:
        raise ProfileFormatError(issues)
    return profile
