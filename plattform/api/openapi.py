"""The OpenAPI 3.1 description of /api/v1: the single source the API is documented, validated and
fuzzed against.

Served at /api/v1/openapi.json, rendered as HTML at /api/v1/docs, used by the views to validate request
bodies (``validate_body``) and by the tests (schemathesis) to check every response. Written by hand as
a Python dict so that the vocabulary's slugs (goals, topics, statuses) come from their one definition.
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from matching.profiles import MAX_GOALS, MAX_LINK_LEN, MAX_PROJECTS, MAX_REICHWEITE_KM, MAX_TITLE_LEN
from matching.vocabulary import GOALS, HANDLUNGSFELDER, OPEN_FOR, PROJECT_STATUSES, TOPIC_SLUGS, TYPES
from plattform.api.models import TOKEN_SCOPES
from plattform.api.pagination import DEFAULT_PER_PAGE, MAX_PAGE, MAX_PER_PAGE
from plattform.kontakte.models import REQUEST_STATUSES
from plattform.kontakte.services import MESSAGE_MAX
from plattform.netzwerke.models import NETZWERK_ARTEN
from plattform.projekte.models import MEMBER_STATUSES
from plattform.projekte.models import PROJECT_STATUSES as SHARED_PROJECT_STATUSES

API_VERSION = "1.0.0"
AGS_PATTERN = "^[0-9]{5}([0-9]{3})?$"
# Text that is stored: no control characters (PostgreSQL refuses NUL; the others are never meant).
PLAIN_TEXT_PATTERN = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"
# Free text with line breaks (messages): tab, LF and CR allowed, no other control characters.
MULTILINE_TEXT_PATTERN = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f]*$"
LINK_PATTERN = "^https?://[^\\s\\u0000-\\u001f\\u007f-\\u009f]+$"
SEARCH_MAX = 100


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict) -> dict:
    """A 3.1 schema that also allows null."""
    return {"anyOf": [schema, {"type": "null"}]}


def _obj(properties: dict, required: list[str] | None = None, *, description: str | None = None) -> dict:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
        "additionalProperties": False,
    }
    if description:
        schema["description"] = description
    return schema


def _page_of(item: str, extra: dict | None = None, extra_required: list[str] | None = None) -> dict:
    properties = {
        "items": {"type": "array", "items": _ref(item)},
        "page": {"type": "integer", "minimum": 1},
        "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
        "total": {"type": "integer", "minimum": 0},
        **(extra or {}),
    }
    return _obj(
        properties,
        ["items", "page", "per_page", "total", *(extra_required or [])],
        description="Eine Seite der Ergebnisliste; der Kopf Link nennt first, prev, next und last.",
    )


DATETIME = {"type": "string", "format": "date-time"}
AGS = {
    "type": "string",
    "pattern": AGS_PATTERN,
    "description": "8-stelliger AGS oder 5-stelliger Kreisschlüssel",
}

# The fields of a Kommune in the list; the detail view adds its own.
KOMMUNE_FIELDS = {
    "ags": AGS,
    "name": {"type": "string"},
    "short_name": {"type": "string"},
    "ebene": {"type": "string", "enum": ["gemeinde", "kreis"]},
    "kind": {"type": "string"},
    "kind_label": {"type": "string"},
    "land": {"type": "string", "pattern": "^[0-9]{2}$"},
    "land_name": {"type": "string"},
    "kreis_ags": _nullable({"type": "string"}),
    "population": _nullable({"type": "integer"}),
    "lat": _nullable({"type": "number"}),
    "lon": _nullable({"type": "number"}),
    "active": {"type": "boolean"},
}

SCHEMAS: dict[str, dict] = {
    "Problem": {
        "type": "object",
        "description": "Fehlerbeschreibung nach RFC 9457 (application/problem+json).",
        "properties": {
            "type": {"type": "string", "format": "uri-reference"},
            "title": {"type": "string"},
            "status": {"type": "integer", "minimum": 400, "maximum": 599},
            "detail": {"type": "string"},
            "instance": {"type": "string", "format": "uri-reference"},
            "errors": {
                "type": "array",
                "description": "Bei Validierungsfehlern: welches Feld, und was daran nicht stimmt.",
                "items": _obj({"field": {"type": "string"}, "message": {"type": "string"}}),
            },
        },
        "required": ["type", "title", "status", "detail", "instance"],
    },
    "KommuneRef": _obj({"ags": AGS, "name": {"type": "string"}}),
    "Kommune": _obj(
        KOMMUNE_FIELDS,
        description="Eine Kommune des amtlichen Verzeichnisses (Destatis GV-ISys).",
    ),
    "KommuneDetail": _obj(
        {
            **KOMMUNE_FIELDS,
            "kreis": _nullable(_ref("KommuneRef")),
            "area_km2": _nullable({"type": "number"}),
            "plz": _nullable({"type": "string"}),
            "verstaedterung": _nullable({"type": "string"}),
            "stand": _nullable({"type": "string"}),
            "gemeinden": {"type": "array", "items": _ref("KommuneRef")},
            "hat_profil": {"type": "boolean"},
            "partner": {"type": "array", "items": _ref("KommuneRef")},
        },
        description="Eine Kommune mit ihrem Kreis, ihren Gemeinden (bei Kreisen) und Lernpartnern.",
    ),
    "KommunePage": _page_of("Kommune"),
    "ProfileInput": {
        "type": "object",
        "description": (
            "Das Profilformat aus DESIGN.md. Nur ags ist Pflicht (beim PUT darf es fehlen, dann gilt die "
            "Kommune der Adresse); fehlende Felder bedeuten: keine Angabe."
        ),
        "properties": {
            "ags": AGS,
            "name": {"type": "string", "maxLength": 200, "description": "wird ignoriert"},
            "ziele": {
                "type": "array",
                "items": {"type": "string", "enum": list(GOALS)},
                "maxItems": MAX_GOALS,
                "uniqueItems": True,
                "description": "Digitalisierungsziele, das wichtigste zuerst",
            },
            "handlungsfelder": {
                "type": "array",
                "items": {"type": "string", "enum": list(HANDLUNGSFELDER)},
                "uniqueItems": True,
            },
            "staerken": {
                "type": "object",
                "propertyNames": {"enum": list(TOPIC_SLUGS)},
                "additionalProperties": {"type": "integer", "minimum": 1, "maximum": 3},
                "description": "Thema → Stufe 1–3 dessen, was die Kommune anderen beibringen kann",
            },
            "bedarfe": {
                "type": "object",
                "propertyNames": {"enum": list(TOPIC_SLUGS)},
                "additionalProperties": {"type": "integer", "minimum": 1, "maximum": 3},
                "description": "Thema → Priorität 1–3 dessen, was die Kommune lernen möchte",
            },
            "projekte": {
                "type": "array",
                "maxItems": MAX_PROJECTS,
                "items": _obj(
                    {
                        "thema": {"type": "string", "enum": list(TOPIC_SLUGS)},
                        "status": {"type": "string", "enum": list(PROJECT_STATUSES)},
                        "titel": _nullable(
                            {"type": "string", "maxLength": MAX_TITLE_LEN, "pattern": PLAIN_TEXT_PATTERN}
                        ),
                        "link": _nullable(
                            {
                                "type": "string",
                                "maxLength": MAX_LINK_LEN,
                                "anyOf": [{"const": ""}, {"pattern": LINK_PATTERN}],
                            }
                        ),
                    },
                    ["thema", "status"],
                ),
            },
            "offen_fuer": {
                "type": "array",
                "items": {"type": "string", "enum": list(OPEN_FOR)},
                "uniqueItems": True,
            },
            "reichweite_km": {"type": "number", "minimum": 1, "maximum": MAX_REICHWEITE_KM},
        },
        "additionalProperties": False,
    },
    "ProfileData": _obj(
        {
            "ags": AGS,
            "ziele": {"type": "array", "items": {"type": "string", "enum": list(GOALS)}},
            "handlungsfelder": {"type": "array", "items": {"type": "string", "enum": list(HANDLUNGSFELDER)}},
            "staerken": {
                "type": "object",
                "additionalProperties": {"type": "integer", "minimum": 1, "maximum": 3},
            },
            "bedarfe": {
                "type": "object",
                "additionalProperties": {"type": "integer", "minimum": 1, "maximum": 3},
            },
            "projekte": {
                "type": "array",
                "items": _obj(
                    {
                        "thema": {"type": "string", "enum": list(TOPIC_SLUGS)},
                        "status": {"type": "string", "enum": list(PROJECT_STATUSES)},
                        "titel": {"type": "string"},
                        "link": {"type": "string"},
                    },
                    ["thema", "status", "titel"],
                ),
            },
            "offen_fuer": {"type": "array", "items": {"type": "string", "enum": list(OPEN_FOR)}},
            "reichweite_km": {"type": "integer", "minimum": 1, "maximum": MAX_REICHWEITE_KM},
        },
        description="Ein gespeichertes Profil im Format aus DESIGN.md (so auch per PUT zurückzuschreiben).",
    ),
    "Profile": _obj(
        {
            "kommune": _ref("KommuneRef"),
            "typ": _nullable({"type": "string", "enum": list(TYPES)}),
            "typ_label": _nullable({"type": "string"}),
            "geschaetzt": {
                "type": "boolean",
                "description": "Stärken und Bedarfe sind aus dem Typtest geschätzt, nicht selbst angegeben",
            },
            "demodaten": {"type": "boolean"},
            "aktualisiert_am": DATETIME,
            "profil": _ref("ProfileData"),
        },
        description="Der öffentliche Teil des Profils einer Kommune.",
    ),
    "Suggestion": _obj(
        {
            "rank": {"type": "integer", "minimum": 1},
            "ags": AGS,
            "name": {"type": "string"},
            "score": {"type": "number"},
            "teaches_me": {"type": "array", "items": {"type": "string"}},
            "learns_from_me": {"type": "array", "items": {"type": "string"}},
            "distance_km": _nullable({"type": "number"}),
            "explanation_de": {"type": "string"},
        },
        description="Ein Partnervorschlag, Felder wie `matching show --json`.",
    ),
    "SuggestionRun": _obj(
        {
            "id": {"type": "integer"},
            "finished_at": _nullable(DATETIME),
            "size": {"type": "integer"},
            "gini": _nullable({"type": "number"}),
        }
    ),
    "SuggestionPage": _page_of(
        "Suggestion",
        {"kommune": _ref("KommuneRef"), "run": _nullable(_ref("SuggestionRun"))},
        ["kommune", "run"],
    ),
    "ContactPerson": _obj(
        {
            "name": {"type": "string"},
            "funktion": _nullable({"type": "string"}),
            "email": {"type": "string"},
            "telefon": _nullable({"type": "string"}),
        }
    ),
    "ContactRequest": _obj(
        {
            "id": {"type": "integer"},
            "status": {"type": "string", "enum": list(REQUEST_STATUSES)},
            "von": _ref("KommuneRef"),
            "an": _ref("KommuneRef"),
            "nachricht": {"type": "string"},
            "erstellt_am": DATETIME,
            "beantwortet_am": _nullable(DATETIME),
            "kontaktpersonen": _nullable({"type": "array", "items": _ref("ContactPerson")}),
        },
        description=(
            "Eine Kontaktanfrage. kontaktpersonen (die Ansprechpersonen der anderen Seite) nur in der "
            "Einzelansicht und erst, wenn beide Kommunen Lernpartner sind; sonst null."
        ),
    ),
    "ContactRequestPage": _page_of("ContactRequest"),
    "ContactRequestInput": _obj(
        {
            "von": AGS,
            "an": AGS,
            "nachricht": {"type": "string", "maxLength": MESSAGE_MAX, "pattern": MULTILINE_TEXT_PATTERN},
        },
        ["von", "an"],
        description="Eine neue Kontaktanfrage im Namen der Kommune von an die Kommune an.",
    ),
    "ProjectMember": _obj(
        {"ags": AGS, "name": {"type": "string"}, "status": {"type": "string", "enum": list(MEMBER_STATUSES)}}
    ),
    "Project": _obj(
        {
            "id": {"type": "integer"},
            "thema": {"type": "string"},
            "thema_label": {"type": "string"},
            "titel": {"type": "string"},
            "beschreibung": {"type": "string"},
            "status": {"type": "string", "enum": list(SHARED_PROJECT_STATUSES)},
            "status_label": {"type": "string"},
            "nachnutzung": {"type": "boolean"},
            "ergebnis": _nullable({"type": "string"}),
            "federfuehrung": _ref("KommuneRef"),
            "mitglieder": {"type": "array", "items": _ref("ProjectMember")},
            "erstellt_am": DATETIME,
            "aktualisiert_am": DATETIME,
            "abgeschlossen_am": _nullable(DATETIME),
        },
        description="Ein gemeinsames Projekt mehrerer Kommunen.",
    ),
    "ProjectPage": _page_of("Project"),
    "ProjectMembershipInput": _obj(
        {"kommune": AGS}, description="Die Kommune, für die Sie beitreten oder austreten."
    ),
    "Network": _obj(
        {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "art": {"type": "string", "enum": list(NETZWERK_ARTEN)},
            "art_label": {"type": "string"},
            "beschreibung": {"type": "string"},
            "kreis": _nullable(_ref("KommuneRef")),
            "mitglieder": {"type": "array", "items": _ref("KommuneRef")},
            "koordination": {"type": "boolean", "description": "ob Sie dieses Netzwerk koordinieren"},
        }
    ),
    "NetworkPage": _page_of("Network"),
    "NetworkRef": _obj({"id": {"type": "integer"}, "name": {"type": "string"}}),
    "NetworkGraph": _obj(
        {
            "netzwerk": _ref("NetworkRef"),
            "nodes": {
                "type": "array",
                "items": _obj(
                    {
                        "id": {"type": "string", "description": "AGS"},
                        "name": {"type": "string"},
                        "x": {"type": "number"},
                        "y": {"type": "number"},
                        "degree": {"type": "integer"},
                        "community": _nullable({"type": "integer"}),
                        "betweenness": {"type": "number"},
                        "isolated": {"type": "boolean"},
                    }
                ),
            },
            "links": {
                "type": "array",
                "items": _obj(
                    {
                        "source": {"type": "string"},
                        "target": {"type": "string"},
                        "weight": {"type": "number"},
                        "kinds": {"type": "array", "items": {"type": "string"}},
                        "projects": {"type": "array", "items": {"type": "string"}},
                    }
                ),
            },
            "analysis": _obj(
                {
                    "n_members": {"type": "integer"},
                    "n_edges": {"type": "integer"},
                    "density": {"type": "number"},
                    "components": {"type": "array", "items": {"type": "array", "items": {"type": "string"}}},
                    "isolated": {"type": "array", "items": {"type": "string"}},
                    "brokers": {
                        "type": "array",
                        "items": _obj({"ags": {"type": "string"}, "betweenness": {"type": "number"}}),
                    },
                    "communities": {"type": "array", "items": {"type": "array", "items": {"type": "string"}}},
                }
            ),
        },
        description="Der Graph der Mitglieder (Partnerschaften, gemeinsame Projekte) mit seinen Maßen.",
    ),
    "NetworkCoverage": _obj(
        {
            "netzwerk": _ref("NetworkRef"),
            "mitglieder": {"type": "integer"},
            "mit_profil": {"type": "integer"},
            "themen": {
                "type": "array",
                "items": _obj(
                    {
                        "thema": {"type": "string"},
                        "bezeichnung": {"type": "string"},
                        "koennen": {
                            "type": "array",
                            "items": _obj({"ags": AGS, "stufe": {"type": "integer"}}),
                        },
                        "bedarf": {
                            "type": "array",
                            "items": _obj({"ags": AGS, "prioritaet": {"type": "integer"}}),
                        },
                        "nicht_abgedeckt": {"type": "array", "items": AGS},
                        "partner_aussen": {
                            "type": "array",
                            "items": _obj(
                                {
                                    "ags": AGS,
                                    "name": {"type": "string"},
                                    "stufe": {"type": "integer"},
                                    "distance_km": _nullable({"type": "number"}),
                                }
                            ),
                        },
                    }
                ),
            },
        },
        description="Welche Themen das Netzwerk sich selbst beibringen kann, welche Bedarfe offen bleiben.",
    ),
    "Me": _obj(
        {
            "user": _obj({"id": {"type": "integer"}, "name": {"type": "string"}}),
            "token": _obj(
                {
                    "name": {"type": "string"},
                    "scope": {"type": "string", "enum": list(TOKEN_SCOPES)},
                    "expires_at": _nullable(DATETIME),
                }
            ),
            "kommunen": {"type": "array", "items": _ref("KommuneRef")},
            "koordinierte_netzwerke": {"type": "array", "items": {"type": "integer"}},
        },
        description="Wem das Token gehört, was es darf und für welche Kommunen es handelt.",
    ),
}

PROBLEM_CONTENT = {"application/problem+json": {"schema": _ref("Problem")}}
ERROR_TEXTS = {
    "400": "Fehlerhafte Anfrage (z. B. kein gültiges JSON)",
    "401": "Kein, ein unbekanntes, abgelaufenes oder widerrufenes Token",
    "403": "Das Token darf das nicht (fremde Kommune oder nur Umfang lesen)",
    "404": "Nicht gefunden oder für Sie nicht sichtbar",
    "409": "Widerspricht dem aktuellen Stand (z. B. Anfrage nicht mehr offen)",
    "413": "Inhalt größer als erlaubt",
    "415": "Inhalt ist kein JSON",
    "422": "Ungültige Daten; errors nennt Feld und Grund",
    "429": "Zu viele Anfragen; Retry-After nennt die Wartezeit in Sekunden",
    "500": "Unerwarteter Fehler",
}
RESPONSES = {code: {"description": text, "content": PROBLEM_CONTENT} for code, text in ERROR_TEXTS.items()}
RESPONSES["429"]["headers"] = {"Retry-After": {"schema": {"type": "integer"}}}
RESPONSES["401"]["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}}}

PARAMETERS = {
    "ags": {"name": "ags", "in": "path", "required": True, "schema": AGS},
    "id": {
        "name": "id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
    },
    "page": {
        "name": "page",
        "in": "query",
        "description": "Seite, ab 1",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1},
    },
    "per_page": {
        "name": "per_page",
        "in": "query",
        "description": f"Einträge je Seite, höchstens {MAX_PER_PAGE}",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": DEFAULT_PER_PAGE},
    },
}

LINK_HEADER = {"Link": {"description": "RFC 8288: first, prev, next, last", "schema": {"type": "string"}}}
PUBLIC = [{}, {"bearer": []}]
TOKEN = [{"bearer": []}]


def _param(name: str) -> dict:
    return {"$ref": f"#/components/parameters/{name}"}


def _errors(*codes: int) -> dict:
    return {str(c): {"$ref": f"#/components/responses/{c}"} for c in sorted({*codes, 429, 500})}


def _ok(schema: str, description: str, *, paged: bool = False, status: str = "200") -> dict:
    response: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": _ref(schema)}},
    }
    if paged:
        response["headers"] = LINK_HEADER
    if status == "201":
        response["headers"] = {"Location": {"schema": {"type": "string"}}}
    return {status: response}


def _json_body(schema: str) -> dict:
    return {"required": True, "content": {"application/json": {"schema": _ref(schema)}}}


def _op(
    op_id: str,
    summary: str,
    *,
    tag: str,
    security: list,
    responses: dict,
    description: str | None = None,
    parameters: list | None = None,
    body: str | None = None,
) -> dict:
    operation: dict[str, Any] = {
        "operationId": op_id,
        "summary": summary,
        "tags": [tag],
        "security": security,
        "responses": responses,
    }
    if description:
        operation["description"] = description
    if parameters:
        operation["parameters"] = parameters
    if body:
        operation["requestBody"] = _json_body(body)
    return operation


def _query(name: str, schema: dict, description: str | None = None) -> dict:
    param: dict[str, Any] = {"name": name, "in": "query"}
    if description:
        param["description"] = description
    param["schema"] = schema
    return param


def _list_op(
    op_id: str,
    summary: str,
    *,
    tag: str,
    security: list,
    description: str,
    page: str,
    page_description: str,
    filters: list | None = None,
    errors: tuple[int, ...] = (),
) -> dict:
    """A GET of a paged collection: its filters, then page and per_page; answers one page (schema
    ``page``, with the Link header) or 422 for a bad filter or page."""
    return _op(
        op_id,
        summary,
        tag=tag,
        security=security,
        description=description,
        parameters=[*(filters or []), _param("page"), _param("per_page")],
        responses={**_ok(page, page_description, paged=True), **_errors(401, 422, *errors)},
    )


WRITE = "Braucht ein Token mit dem Umfang „schreiben“."
# What a JSON request body can be refused for: not JSON, too large, not application/json, invalid.
BODY_ERRORS = (400, 413, 415, 422)


def _write_op(
    op_id: str,
    summary: str,
    *,
    tag: str,
    description: str,
    ok: dict,
    errors: tuple[int, ...] = (),
    body: str | None = None,
) -> dict:
    """An operation that changes data: a token with the write scope (the description says so), and
    with a JSON body the errors of a body too."""
    return _op(
        op_id,
        summary,
        tag=tag,
        security=TOKEN,
        description=f"{description} {WRITE}",
        body=body,
        responses={**ok, **_errors(401, 403, *errors, *(BODY_ERRORS if body else ()))},
    )


PATHS: dict[str, dict] = {
    "/ich": {
        "get": _op(
            "getMe",
            "Wer bin ich?",
            tag="Token",
            security=TOKEN,
            description="Zum Ausprobieren eines Tokens: Inhaber, Umfang, Kommunen, für die es handelt.",
            responses={**_ok("Me", "Token und Inhaber"), **_errors(401)},
        )
    },
    "/kommunen": {
        "get": _list_op(
            "searchKommunen",
            "Kommunen suchen",
            tag="Kommunen",
            security=PUBLIC,
            description="Nach Name, AGS-Anfang oder PLZ; gefiltert nach Land und Kreis. Öffentlich.",
            filters=[
                _query(
                    "q",
                    {"type": "string", "maxLength": SEARCH_MAX, "pattern": PLAIN_TEXT_PATTERN},
                    "Name, AGS-Anfang oder Postleitzahl",
                ),
                _query(
                    "land",
                    {"type": "string", "pattern": "^[0-9]{2}$"},
                    "Landesschlüssel, 2 Ziffern (05 = NRW)",
                ),
                _query("kreis", {"type": "string", "pattern": "^[0-9]{5}$"}, "Kreisschlüssel, 5 Ziffern"),
            ],
            page="KommunePage",
            page_description="Eine Seite Kommunen",
        )
    },
    "/kommunen/{ags}": {
        "parameters": [_param("ags")],
        "get": _op(
            "getKommune",
            "Eine Kommune",
            tag="Kommunen",
            security=PUBLIC,
            responses={**_ok("KommuneDetail", "Die Kommune"), **_errors(401, 404)},
        ),
    },
    "/kommunen/{ags}/profil": {
        "parameters": [_param("ags")],
        "get": _op(
            "getProfile",
            "Profil einer Kommune lesen",
            tag="Profile",
            security=PUBLIC,
            description="Der öffentliche Teil: Typ, Ziele, Stärken, Bedarfe, Projekte. 404 ohne Profil.",
            responses={**_ok("Profile", "Das Profil"), **_errors(401, 404)},
        ),
        "put": _write_op(
            "putProfile",
            "Profil einer Kommune schreiben",
            tag="Profile",
            description=(
                "Ersetzt das ganze Profil (Format aus DESIGN.md). Nur für Kommunen, deren Profil Sie "
                "bearbeiten dürfen (Mitglieder, Koordination, Administration)."
            ),
            body="ProfileInput",
            ok=_ok("Profile", "Das gespeicherte Profil"),
            errors=(404,),
        ),
    },
    "/kommunen/{ags}/vorschlaege": {
        "parameters": [_param("ags")],
        "get": _list_op(
            "getSuggestions",
            "Partnervorschläge einer Kommune",
            tag="Vorschläge",
            security=TOKEN,
            description="Nur für Kommunen, für die Sie handeln. Bestes zuerst.",
            page="SuggestionPage",
            page_description="Die Vorschläge",
            errors=(403, 404),
        ),
    },
    "/kontaktanfragen": {
        "get": _list_op(
            "listContactRequests",
            "Kontaktanfragen Ihrer Kommunen",
            tag="Kontaktanfragen",
            security=TOKEN,
            description="Ein- und ausgehende Anfragen der Kommunen, für die Sie handeln; neueste zuerst.",
            filters=[
                _query("kommune", AGS, "Nur diese Ihrer Kommunen (AGS)"),
                _query(
                    "richtung",
                    {"type": "string", "enum": ["eingehend", "ausgehend", "alle"], "default": "alle"},
                ),
                _query("status", {"type": "string", "enum": list(REQUEST_STATUSES)}),
            ],
            page="ContactRequestPage",
            page_description="Eine Seite Anfragen",
            errors=(403,),
        ),
        "post": _write_op(
            "createContactRequest",
            "Kontaktanfrage senden",
            tag="Kontaktanfragen",
            description="Im Namen einer Ihrer Kommunen an eine andere.",
            body="ContactRequestInput",
            ok=_ok("ContactRequest", "Die Anfrage ist gesendet", status="201"),
            errors=(409,),
        ),
    },
    "/kontaktanfragen/{id}": {
        "parameters": [_param("id")],
        "get": _op(
            "getContactRequest",
            "Eine Kontaktanfrage",
            tag="Kontaktanfragen",
            security=TOKEN,
            description="Nur wenn Sie für eine der beiden Seiten handeln (sonst 404).",
            responses={**_ok("ContactRequest", "Die Anfrage"), **_errors(401, 404)},
        ),
    },
    "/kontaktanfragen/{id}/annehmen": {
        "parameters": [_param("id")],
        "post": _write_op(
            "acceptContactRequest",
            "Kontaktanfrage annehmen",
            tag="Kontaktanfragen",
            description="Nur die angefragte Seite; beide werden Lernpartner.",
            ok=_ok("ContactRequest", "Angenommen"),
            errors=(404, 409),
        ),
    },
    "/kontaktanfragen/{id}/ablehnen": {
        "parameters": [_param("id")],
        "post": _write_op(
            "declineContactRequest",
            "Kontaktanfrage ablehnen",
            tag="Kontaktanfragen",
            description="Nur die angefragte Seite; das Paar wird nicht mehr vorgeschlagen.",
            ok=_ok("ContactRequest", "Abgelehnt"),
            errors=(404, 409),
        ),
    },
    "/kontaktanfragen/{id}/zurueckziehen": {
        "parameters": [_param("id")],
        "post": _write_op(
            "withdrawContactRequest",
            "Kontaktanfrage zurückziehen",
            tag="Kontaktanfragen",
            description="Nur die anfragende Seite, solange die Anfrage offen ist.",
            ok=_ok("ContactRequest", "Zurückgezogen"),
            errors=(404, 409),
        ),
    },
    "/projekte": {
        "get": _list_op(
            "listProjects",
            "Gemeinsame Projekte",
            tag="Projekte",
            security=PUBLIC,
            description="Alle gemeinsamen Projekte, neueste zuerst. Öffentlich.",
            filters=[
                _query("status", {"type": "string", "enum": list(SHARED_PROJECT_STATUSES)}),
                _query("thema", {"type": "string", "enum": list(TOPIC_SLUGS)}),
            ],
            page="ProjectPage",
            page_description="Eine Seite Projekte",
        )
    },
    "/projekte/{id}": {
        "parameters": [_param("id")],
        "get": _op(
            "getProject",
            "Ein gemeinsames Projekt",
            tag="Projekte",
            security=PUBLIC,
            responses={**_ok("Project", "Das Projekt"), **_errors(401, 404)},
        ),
    },
    "/projekte/{id}/beitreten": {
        "parameters": [_param("id")],
        "post": _write_op(
            "joinProject",
            "Einem Projekt beitreten",
            tag="Projekte",
            description="Für eine Ihrer Kommunen (nimmt auch eine Einladung an).",
            body="ProjectMembershipInput",
            ok=_ok("Project", "Beigetreten"),
            errors=(404, 409),
        ),
    },
    "/projekte/{id}/verlassen": {
        "parameters": [_param("id")],
        "post": _write_op(
            "leaveProject",
            "Ein Projekt verlassen",
            tag="Projekte",
            description="Für eine Ihrer Kommunen; die federführende Kommune übergibt vorher.",
            body="ProjectMembershipInput",
            ok=_ok("Project", "Ausgetreten"),
            errors=(404, 409),
        ),
    },
    "/netzwerke": {
        "get": _list_op(
            "listNetworks",
            "Ihre Netzwerke",
            tag="Netzwerke",
            security=TOKEN,
            description="Netzwerke, denen Ihre Kommunen angehören oder die Sie koordinieren.",
            page="NetworkPage",
            page_description="Eine Seite Netzwerke",
        )
    },
    "/netzwerke/{id}/graph": {
        "parameters": [_param("id")],
        "get": _op(
            "getNetworkGraph",
            "Graph eines Netzwerks",
            tag="Netzwerke",
            security=TOKEN,
            description="Nur für die Koordination des Netzwerks (und die Administration).",
            responses={**_ok("NetworkGraph", "Der Graph"), **_errors(401, 403, 404)},
        ),
    },
    "/netzwerke/{id}/abdeckung": {
        "parameters": [_param("id")],
        "get": _op(
            "getNetworkCoverage",
            "Themenabdeckung eines Netzwerks",
            tag="Netzwerke",
            security=TOKEN,
            description="Nur für die Koordination des Netzwerks (und die Administration).",
            responses={**_ok("NetworkCoverage", "Die Abdeckung"), **_errors(401, 403, 404)},
        ),
    },
}

DESCRIPTION = """\
Die JSON-Schnittstelle von Kommunalmatch für Kommunen, Kreise und ihre IT-Dienstleister.

* Anmeldung: persönliches API-Token (unter „Mein Konto → API-Tokens“) im Kopf
  `Authorization: Bearer km_…`. Sitzungs-Cookies gelten hier nicht.
* Umfang: `lesen` für lesende Abfragen, `schreiben` zusätzlich für Änderungen.
* Fehler: `application/problem+json` nach RFC 9457; Validierungsfehler nennen in `errors` Feld und Grund.
* Seiten: `page` und `per_page` (höchstens 100), Kopf `Link` mit first/prev/next/last.
* Limits je Token: 300 lesende und 60 schreibende Anfragen je Minute (ohne Token 60 je Adresse).
"""


@cache
def _document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Kommunalmatch API",
            "version": API_VERSION,
            "description": DESCRIPTION,
        },
        "servers": [{"url": "/api/v1"}],
        "tags": [
            {"name": name}
            for name in (
                "Token",
                "Kommunen",
                "Profile",
                "Vorschläge",
                "Kontaktanfragen",
                "Projekte",
                "Netzwerke",
            )
        ],
        "paths": PATHS,
        "components": {
            "schemas": SCHEMAS,
            "responses": RESPONSES,
            "parameters": PARAMETERS,
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "km_…",
                    "description": "Persönliches API-Token aus „Mein Konto → API-Tokens“",
                }
            },
        },
    }


def openapi_document(server_url: str | None = None) -> dict:
    """The description (a deep copy, so callers may change it); ``server_url`` makes servers absolute."""
    document = copy.deepcopy(_document())
    if server_url:
        document["servers"] = [{"url": server_url}]
    return document


# --- request validation against the same schemas --------------------------------------------------


@cache
def _validator(schema_name: str):
    import jsonschema_rs

    root = {"$ref": f"#/components/schemas/{schema_name}", "components": {"schemas": SCHEMAS}}
    return jsonschema_rs.Draft202012Validator(root)


def _field_path(path) -> str:
    return ".".join(str(part) for part in path) or "-"


def _german(error) -> tuple[str, str]:
    """(field, German message) for one jsonschema_rs error."""
    kind = error.kind
    name = type(kind).__name__
    field = _field_path(error.instance_path)
    if name == "Required":
        prop = str(getattr(kind, "property", "")).strip('"')
        return (f"{field}.{prop}" if field != "-" else prop), "Pflichtfeld fehlt."
    if name == "AdditionalProperties":
        unexpected = list(getattr(kind, "unexpected", []))
        where = f"{field}." if field != "-" else ""
        return (f"{where}{unexpected[0]}" if unexpected else field), "Unbekanntes Feld."
    messages = {
        "Type": "Falscher Datentyp.",
        "Enum": "Wert ist nicht erlaubt.",
        "Const": "Wert ist nicht erlaubt.",
        "Pattern": "Wert hat nicht die erwartete Form.",
        "MaxLength": "Text ist zu lang.",
        "MinLength": "Text ist zu kurz.",
        "Maximum": "Zahl ist zu groß.",
        "Minimum": "Zahl ist zu klein.",
        "ExclusiveMaximum": "Zahl ist zu groß.",
        "ExclusiveMinimum": "Zahl ist zu klein.",
        "MaxItems": "Zu viele Einträge.",
        "MinItems": "Zu wenige Einträge.",
        "UniqueItems": "Einträge sind doppelt.",
        "PropertyNames": "Unbekannter Schlüssel.",
        "AnyOf": "Wert passt zu keiner erlaubten Form.",
        "OneOf": "Wert passt zu keiner erlaubten Form.",
        "FalseSchema": "Feld ist nicht erlaubt.",
    }
    return field, messages.get(name, "Wert ist ungültig.")


def body_errors(schema_name: str, body: Any) -> list[dict]:
    """German ``{field, message}`` entries for everything in ``body`` the schema forbids (empty: valid)."""
    seen: set[tuple[str, str]] = set()
    out = []
    for error in _validator(schema_name).iter_errors(body):
        entry = _german(error)
        if entry not in seen:
            seen.add(entry)
            out.append({"field": entry[0], "message": entry[1]})
    return out
