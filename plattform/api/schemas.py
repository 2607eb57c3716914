"""The shapes of /api/v1, declared once: request bodies, query parameters and responses as pydantic
models. ``plattform.api.spec`` turns them into the OpenAPI 3.1 document and validates every request
and response with them.

Naming rule (docs/api.md): every JSON field name is English snake_case. The domain's own terms that
STYLE.md keeps in German (``ags``, ``kommune``/``kommunen``, ``kreis``, ``land``, ``gemeinden``) are
words of that English. The one exception is the profile document (``ProfileData``, from
``matching.profiles``), whose German field names are the exchange format coordinators use in their
spreadsheets. Values that are slugs of the vocabulary (``offen``, ``laufend``, ``lesen`` …) stay as
they are stored.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import annotated_types as at
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, WithJsonSchema
from pydantic_core import PydanticCustomError

from matching.profiles import AGS_PATTERN, PLAIN_TEXT_PATTERN
from matching.vocabulary import TOPIC_SLUGS, TYPES
from plattform.api.models import TOKEN_SCOPES
from plattform.api.pagination import DEFAULT_PER_PAGE, MAX_PAGE, MAX_PER_PAGE
from plattform.kontakte.models import REQUEST_STATUSES
from plattform.kontakte.services import MESSAGE_MAX
from plattform.netzwerke.models import NETZWERK_ARTEN
from plattform.projekte.models import MEMBER_STATUSES
from plattform.projekte.models import PROJECT_STATUSES as SHARED_PROJECT_STATUSES

SEARCH_MAX = 100
# Free text with line breaks (messages): tab, LF and CR allowed, no other control characters.
MULTILINE_TEXT_PATTERN = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f]*$"


def _german(text: str) -> dict:
    """Model config with the German description the document and the docs page show."""
    return {"json_schema_extra": {"description": text}}


def _described(text: str) -> ConfigDict:
    return ConfigDict(extra="forbid", json_schema_serialization_defaults_required=True, **_german(text))


class Out(BaseModel):
    """A response shape: every field always present (null where empty), nothing else."""

    model_config = ConfigDict(extra="forbid", json_schema_serialization_defaults_required=True)


class In(BaseModel):
    """A request body: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


# --- field types ------------------------------------------------------------------------------------

Ags = Annotated[
    str,
    StringConstraints(pattern=AGS_PATTERN),
    Field(description="8-stelliger AGS oder 5-stelliger Kreisschlüssel"),
]
DateTime = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]
# The profile document: its schema is the profile model's (spec.py puts the reference in its place).
PROFILE_DOCUMENT_MARK = {"x-profile-document": True}
ProfileDocument = Annotated[dict[str, Any], WithJsonSchema(PROFILE_DOCUMENT_MARK)]


def _query_int(name: str, maximum: int):
    """A query parameter that is a whole number 1..maximum, written with ASCII digits only."""

    def check(value: Any) -> Any:
        if isinstance(value, str):
            if not (value.isascii() and value.isdigit()):
                raise PydanticCustomError(
                    "query_int", "{message}", {"message": f"{name} muss eine ganze Zahl ab 1 sein."}
                )
            value = int(value)
        if isinstance(value, int) and not 1 <= value <= maximum:
            raise PydanticCustomError(
                "query_range", "{message}", {"message": f"{name} muss zwischen 1 und {maximum} liegen."}
            )
        return value

    return check


def _query_text(name: str, max_len: int, pattern: str | None = None, shape: str | None = None):
    import re

    control = re.compile(r"[\x00-\x1f\x7f-\x9f]")
    compiled = re.compile(pattern) if pattern else None

    def check(value: Any) -> Any:
        if isinstance(value, str):
            if len(value) > max_len:
                message = f"{name} darf höchstens {max_len} Zeichen lang sein."
            elif control.search(value):
                message = f"{name} enthält Steuerzeichen."
            elif compiled is not None and not compiled.fullmatch(value):
                message = shape or f"{name} hat nicht die erwartete Form."
            else:
                return value
            raise PydanticCustomError("query_text", "{message}", {"message": message})
        return value

    return check


def _choice(name: str, allowed):
    allowed = tuple(allowed)

    def check(value: Any) -> Any:
        if value not in allowed:
            raise PydanticCustomError(
                "query_choice",
                "{message}",
                {"message": f"{name} muss einer dieser Werte sein: {', '.join(allowed)}."},
            )
        return value

    return check


# --- query parameters -------------------------------------------------------------------------------


class Paging(BaseModel):
    """``page`` and ``per_page`` of every list."""

    model_config = ConfigDict(extra="ignore")

    page: Annotated[
        int,
        at.Interval(ge=1, le=MAX_PAGE),
        BeforeValidator(_query_int("page", MAX_PAGE)),
        Field(description="Seite, ab 1"),
    ] = 1
    per_page: Annotated[
        int,
        at.Interval(ge=1, le=MAX_PER_PAGE),
        BeforeValidator(_query_int("per_page", MAX_PER_PAGE)),
        Field(description=f"Einträge je Seite, höchstens {MAX_PER_PAGE}"),
    ] = DEFAULT_PER_PAGE


def _Digits(name: str, n: int, description: str):
    """An optional query parameter of exactly ``n`` digits."""
    return Annotated[
        str | None,
        StringConstraints(pattern=f"^[0-9]{{{n}}}$"),
        BeforeValidator(_query_text(name, SEARCH_MAX, f"[0-9]{{{n}}}")),
        Field(description=description),
    ]


class KommunenQuery(Paging):
    q: Annotated[
        str,
        StringConstraints(max_length=SEARCH_MAX, pattern=PLAIN_TEXT_PATTERN),
        BeforeValidator(_query_text("q", SEARCH_MAX)),
        Field(description="Name, AGS-Anfang oder Postleitzahl"),
    ] = ""
    land: _Digits("land", 2, "Landesschlüssel, 2 Ziffern (05 = NRW)") = None
    kreis: _Digits("kreis", 5, "Kreisschlüssel, 5 Ziffern") = None


DIRECTIONS = ("incoming", "outgoing", "all")


class ContactRequestQuery(Paging):
    kommune: Annotated[
        str | None,
        StringConstraints(pattern=AGS_PATTERN),
        BeforeValidator(_query_text("kommune", SEARCH_MAX, AGS_PATTERN.strip("^$"))),
        Field(description="Nur diese Ihrer Kommunen (AGS)"),
    ] = None
    direction: Annotated[
        Literal[DIRECTIONS],
        BeforeValidator(_choice("direction", DIRECTIONS)),
        Field(description="incoming: an Ihre Kommunen, outgoing: von Ihren Kommunen"),
    ] = "all"
    status: Annotated[
        Literal[REQUEST_STATUSES] | None, BeforeValidator(_choice("status", REQUEST_STATUSES))
    ] = None


class ProjectQuery(Paging):
    status: Annotated[
        Literal[SHARED_PROJECT_STATUSES] | None, BeforeValidator(_choice("status", SHARED_PROJECT_STATUSES))
    ] = None
    topic: Annotated[
        Literal[TOPIC_SLUGS] | None,
        BeforeValidator(_choice("topic", TOPIC_SLUGS)),
        Field(description="Thema (Kürzel)"),
    ] = None


# --- request bodies ---------------------------------------------------------------------------------


class ContactRequestInput(In):
    model_config = ConfigDict(
        extra="forbid", **_german("Eine neue Kontaktanfrage im Namen der Kommune from_kommune an to_kommune.")
    )

    from_kommune: Ags
    to_kommune: Ags
    message: Annotated[str, StringConstraints(max_length=MESSAGE_MAX, pattern=MULTILINE_TEXT_PATTERN)] = ""


class ProjectMembershipInput(In):
    model_config = ConfigDict(extra="forbid", **_german("Die Kommune, für die Sie beitreten oder austreten."))

    kommune: Ags


# --- responses --------------------------------------------------------------------------------------


class FieldError(Out):
    field: str
    message: str


class Problem(BaseModel):
    model_config = ConfigDict(**_german("Fehlerbeschreibung nach RFC 9457 (application/problem+json)."))

    type: Annotated[str, Field(json_schema_extra={"format": "uri-reference"})]
    title: str
    status: Annotated[int, at.Interval(ge=400, le=599)]
    detail: str
    instance: Annotated[str, Field(json_schema_extra={"format": "uri-reference"})]
    errors: Annotated[
        list[FieldError] | None,
        Field(description="Bei Validierungsfehlern: welches Feld, und was daran nicht stimmt."),
    ] = None


class KommuneRef(Out):
    ags: Ags
    name: str


class Kommune(Out):
    model_config = _described("Eine Kommune des amtlichen Verzeichnisses (Destatis GV-ISys).")

    ags: Ags
    name: str
    short_name: str
    level: Literal["gemeinde", "kreis"]
    kind: str
    kind_label: str
    land: Annotated[str, StringConstraints(pattern="^[0-9]{2}$")]
    land_name: str
    kreis_ags: str | None
    population: int | None
    lat: float | None
    lon: float | None
    active: bool


class KommuneDetail(Kommune):
    model_config = _described("Eine Kommune mit ihrem Kreis, ihren Gemeinden (bei Kreisen) und Lernpartnern.")

    kreis: KommuneRef | None
    area_km2: float | None
    postcode: str | None
    urbanisation: str | None
    directory_date: str | None
    gemeinden: list[KommuneRef]
    has_profile: bool
    partners: list[KommuneRef]


class Page(Out):
    model_config = _described("Eine Seite der Ergebnisliste; der Kopf Link nennt first, prev, next und last.")

    page: Annotated[int, at.Ge(1)]
    per_page: Annotated[int, at.Interval(ge=1, le=MAX_PER_PAGE)]
    total: Annotated[int, at.Ge(0)]


class KommunePage(Page):
    items: list[Kommune]


class Profile(Out):
    model_config = _described("Der öffentliche Teil des Profils einer Kommune.")

    kommune: KommuneRef
    type: Literal[TYPES] | None
    type_label: str | None
    estimated: Annotated[
        bool, Field(description="Stärken und Bedarfe sind aus dem Typtest geschätzt, nicht selbst angegeben")
    ]
    demo: Annotated[bool, Field(description="Demodaten, nicht von der Kommune")]
    updated_at: DateTime
    profile: ProfileDocument


class TopicFact(Out):
    topic: Literal[TOPIC_SLUGS]
    level: Annotated[int, at.Ge(1), at.Le(3)]
    estimated: Annotated[bool, Field(description="Stufe nur aus dem Typtest geschätzt, nicht angegeben")]


class SuggestionFacts(Out):
    model_config = _described("Die Gründe eines Vorschlags als Daten, aus Sicht der anfragenden Kommune.")

    teaches_me: Annotated[list[TopicFact], Field(description="Was der Partner uns zeigen kann")]
    learns_from_me: Annotated[list[TopicFact], Field(description="Was wir dem Partner zeigen können")]
    distance_km: float | None
    distance_approximate: Annotated[
        bool, Field(description="Die Lage einer Seite ist nur geschätzt (Mittelpunkt ihres Kreises)")
    ]
    size: Annotated[
        Literal["similar", "larger", "smaller"] | None,
        Field(description="Größe des Partners: ähnlich (höchstens doppelt), größer, kleiner"),
    ]
    same_kreis: bool
    shared_networks: Annotated[int, at.Ge(0)]
    own_type: Literal[TYPES] | None
    partner_type: Literal[TYPES] | None
    partner_estimated: bool
    score_parts: Annotated[
        dict[str, float], Field(description="comp (Ergänzung), context (Lage und Umfeld), ignored")
    ]


class Suggestion(Out):
    model_config = _described("Ein Partnervorschlag, Felder wie `matching show --json`.")

    rank: Annotated[int, at.Ge(1)]
    ags: Ags
    name: str
    score: float
    teaches_me: list[str]
    learns_from_me: list[str]
    distance_km: float | None
    explanation: Annotated[str, Field(description="Warum dieser Vorschlag, in der Sprache der Anfrage")]
    facts: Annotated[
        SuggestionFacts, Field(description="Die Gründe als Daten (aus ihnen entsteht explanation)")
    ]
    explanation_de: Annotated[
        str,
        Field(description="Die Erklärung auf Deutsch; veraltet, statt dessen explanation", deprecated=True),
    ]


class SuggestionRun(Out):
    id: int
    finished_at: DateTime | None
    size: int
    gini: float | None


class SuggestionPage(Page):
    items: list[Suggestion]
    kommune: KommuneRef
    run: SuggestionRun | None


class ContactPerson(Out):
    name: str
    role: str | None
    email: str
    phone: str | None


class ContactRequest(Out):
    model_config = _described(
        "Eine Kontaktanfrage. contacts (die Ansprechpersonen der anderen Seite) nur in der Einzelansicht "
        "und erst, wenn beide Kommunen Lernpartner sind; sonst null."
    )

    id: int
    status: Literal[REQUEST_STATUSES]
    from_kommune: KommuneRef
    to_kommune: KommuneRef
    message: str
    created_at: DateTime
    answered_at: DateTime | None
    contacts: list[ContactPerson] | None


class ContactRequestPage(Page):
    items: list[ContactRequest]


class ProjectMember(Out):
    ags: Ags
    name: str
    status: Literal[MEMBER_STATUSES]


class Project(Out):
    model_config = _described("Ein gemeinsames Projekt mehrerer Kommunen.")

    id: int
    topic: str
    topic_label: str
    title: str
    description: str
    status: Literal[SHARED_PROJECT_STATUSES]
    status_label: str
    reuse: Annotated[bool, Field(description="eine macht es, die anderen nutzen es nach")]
    result: str | None
    lead: KommuneRef
    members: list[ProjectMember]
    created_at: DateTime
    updated_at: DateTime
    closed_at: DateTime | None


class ProjectPage(Page):
    items: list[Project]


class Network(Out):
    id: int
    name: str
    kind: Literal[NETZWERK_ARTEN]
    kind_label: str
    description: str
    kreis: KommuneRef | None
    members: list[KommuneRef]
    coordinated_by_you: Annotated[bool, Field(description="ob Sie dieses Netzwerk koordinieren")]


class NetworkPage(Page):
    items: list[Network]


class NetworkRef(Out):
    id: int
    name: str


class GraphNode(Out):
    id: Annotated[str, Field(description="AGS")]
    name: str
    x: float
    y: float
    degree: int
    community: int | None
    betweenness: float
    isolated: bool


class GraphLink(Out):
    source: str
    target: str
    weight: float
    kinds: list[str]
    projects: list[str]


class Broker(Out):
    ags: str
    betweenness: float


class GraphAnalysis(Out):
    n_members: int
    n_edges: int
    density: float
    components: list[list[str]]
    isolated: list[str]
    brokers: list[Broker]
    communities: list[list[str]]


class NetworkGraph(Out):
    model_config = _described(
        "Der Graph der Mitglieder (Partnerschaften, gemeinsame Projekte) mit seinen Maßen."
    )

    network: NetworkRef
    nodes: list[GraphNode]
    links: list[GraphLink]
    analysis: GraphAnalysis


class Teacher(Out):
    ags: Ags
    level: int


class Learner(Out):
    ags: Ags
    priority: int


class OutsidePartner(Out):
    ags: Ags
    name: str
    level: int
    distance_km: float | None


class TopicCoverage(Out):
    topic: str
    label: str
    teachers: list[Teacher]
    needs: list[Learner]
    uncovered: list[Ags]
    outside_partners: list[OutsidePartner]


class NetworkCoverage(Out):
    model_config = _described(
        "Welche Themen das Netzwerk sich selbst beibringen kann, welche Bedarfe offen bleiben."
    )

    network: NetworkRef
    n_members: int
    n_with_profile: int
    topics: list[TopicCoverage]


class MeUser(Out):
    id: int
    name: str


class MeToken(Out):
    name: str
    scope: Literal[TOKEN_SCOPES]
    expires_at: DateTime | None


class Me(Out):
    model_config = _described("Wem das Token gehört, was es darf und für welche Kommunen es handelt.")

    user: MeUser
    token: MeToken
    kommunen: list[KommuneRef]
    coordinated_networks: list[int]
