"""The human page of the API: the OpenAPI description turned into plain HTML (no JavaScript, no CDN)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup, escape

from plattform.i18n import german

METHODS = ("get", "put", "post", "patch", "delete")


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _schema_link(name: str) -> Markup:
    return Markup('<a class="kern-link" href="#schema-{0}">{0}</a>').format(name)


def schema_label(schema: dict | None) -> Markup:
    """A short description of a schema (German, or English on an English page), with links to named
    components."""
    if not schema:
        return Markup("–")
    if "$ref" in schema:
        return _schema_link(_ref_name(schema["$ref"]))
    words = SCHEMA_WORDS_EN if _english() else SCHEMA_WORDS_DE
    if "anyOf" in schema:
        parts = [schema_label(s) for s in schema["anyOf"]]
        return Markup(words["or"]).join(parts)
    kind = schema.get("type")
    if kind == "null":
        return Markup("null")
    if kind == "array":
        return Markup(words["list"]) + schema_label(schema.get("items"))
    if (
        kind == "object"
        and "additionalProperties" in schema
        and isinstance(schema["additionalProperties"], dict)
    ):
        return Markup(words["map"]) + schema_label(schema["additionalProperties"])
    text = escape(kind or words["any"])
    details = []
    if "format" in schema:
        details.append(schema["format"])
    if "enum" in schema:
        shown = ", ".join(str(v) for v in schema["enum"][:8])
        details.append(words["enum"] + shown + (" …" if len(schema["enum"]) > 8 else ""))
    if "minimum" in schema or "maximum" in schema:
        details.append(f"{schema.get('minimum', '')}–{schema.get('maximum', '')}")
    if "maxLength" in schema:
        details.append(words["max_length"].format(schema["maxLength"]))
    if "pattern" in schema and "enum" not in schema and len(schema["pattern"]) < 30:
        details.append(words["pattern"] + schema["pattern"])
    if details:
        text = text + Markup(" (") + escape("; ".join(details)) + Markup(")")
    return text


# The page in English: the operations' summaries, tags and access lines (the OpenAPI description
# itself stays German, the API's language; descriptions are shown in German, marked lang="de").
SUMMARIES_EN: dict[str, str] = {
    "Wer bin ich?": "Who am I?",
    "Kommunen suchen": "Search municipalities",
    "Eine Kommune": "One municipality",
    "Profil einer Kommune lesen": "Read a municipality's profile",
    "Profil einer Kommune schreiben": "Write a municipality's profile",
    "Partnervorschläge einer Kommune": "A municipality's partner suggestions",
    "Kontaktanfragen Ihrer Kommunen": "Contact requests of your municipalities",
    "Kontaktanfrage senden": "Send a contact request",
    "Eine Kontaktanfrage": "One contact request",
    "Kontaktanfrage annehmen": "Accept a contact request",
    "Kontaktanfrage ablehnen": "Decline a contact request",
    "Kontaktanfrage zurückziehen": "Withdraw a contact request",
    "Gemeinsame Projekte": "Joint projects",
    "Ein gemeinsames Projekt": "One joint project",
    "Einem Projekt beitreten": "Join a project",
    "Ein Projekt verlassen": "Leave a project",
    "Ihre Netzwerke": "Your networks",
    "Graph eines Netzwerks": "A network's graph",
    "Themenabdeckung eines Netzwerks": "A network's topic coverage",
}
TAGS_EN: dict[str, str] = {
    "Token": "Token",
    "Kommunen": "Municipalities",
    "Profile": "Profiles",
    "Vorschläge": "Suggestions",
    "Kontaktanfragen": "Contact requests",
    "Projekte": "Projects",
    "Netzwerke": "Networks",
}
# The standard responses (spec.ERROR_TEXTS) in English; other response texts are marked German.
RESPONSES_EN: dict[str, str] = {
    "Fehlerhafte Anfrage (z. B. kein gültiges JSON)": "Malformed request (e.g. invalid JSON)",
    "Kein, ein unbekanntes, abgelaufenes oder widerrufenes Token": (
        "No token, or an unknown, expired or revoked one"
    ),
    "Das Token darf das nicht (fremde Kommune oder nur Umfang lesen)": (
        "The token may not do this (another municipality, or read scope only)"
    ),
    "Nicht gefunden oder für Sie nicht sichtbar": "Not found, or not visible to you",
    "Widerspricht dem aktuellen Stand (z. B. Anfrage nicht mehr offen)": (
        "Conflicts with the current state (e.g. request no longer open)"
    ),
    "Inhalt größer als erlaubt": "Content larger than allowed",
    "Inhalt ist kein JSON": "Content is not JSON",
    "Ungültige Daten; errors nennt Feld und Grund": "Invalid data; errors names field and reason",
    "Zu viele Anfragen; Retry-After nennt die Wartezeit in Sekunden": (
        "Too many requests; Retry-After gives the wait in seconds"
    ),
    "Unerwarteter Fehler": "Unexpected error",
}
PARAMETER_PLACES_EN: dict[str, str] = {"Pfad": "path", "Abfrage": "query"}
# The words of schema_label.
SCHEMA_WORDS_DE: dict[str, str] = {
    "or": " oder ",
    "list": "Liste von ",
    "map": "Objekt Schlüssel → ",
    "any": "beliebig",
    "enum": "eines von: ",
    "max_length": "höchstens {} Zeichen",
    "pattern": "Muster ",
}
SCHEMA_WORDS_EN: dict[str, str] = {
    "or": " or ",
    "list": "list of ",
    "map": "object key → ",
    "any": "any",
    "enum": "one of: ",
    "max_length": "at most {} characters",
    "pattern": "pattern ",
}
AUTH_EN: dict[str, str] = {
    "Token nötig": "token required",
    "öffentlich (Token optional)": "public (token optional)",
    "Token mit Umfang „schreiben“": "token with scope “schreiben” (write)",
}


def _english() -> bool:
    from flask import has_request_context
    from flask_babel import get_locale

    return has_request_context() and getattr(get_locale(), "language", "de") == "en"


def localized(text: str, english: dict[str, str]) -> str:
    """text in English where the page is English and a translation is known, else unchanged."""
    return english.get(text, text) if _english() else text


def localized_or_german(text: str, english: dict[str, str]):
    """text in English where known; on an English page an unknown text is marked lang="de"."""
    if _english() and text in english:
        return english[text]
    return german(text)


@dataclass
class Operation:
    """One documented operation for the page."""

    method: str
    path: str
    anchor: str
    summary: str
    description: str
    auth: str
    parameters: list[dict] = field(default_factory=list)
    body: Markup | None = None
    responses: list[tuple[str, str, Markup]] = field(default_factory=list)


def _resolve(document: dict, obj: dict) -> dict:
    if "$ref" in obj:
        section, name = obj["$ref"].split("/")[-2:]
        return document["components"][section][name]
    return obj


def operations_by_tag(document: dict) -> list[tuple[str, list[Operation]]]:
    """Operations grouped by their tag, in the order of the description's tags."""
    groups: dict[str, list[Operation]] = {t["name"]: [] for t in document.get("tags", [])}
    base = document["servers"][0]["url"].rstrip("/")
    for path, item in document["paths"].items():
        shared = item.get("parameters", [])
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            security = op.get("security", [])
            auth = "Token nötig" if security and all(s for s in security) else "öffentlich (Token optional)"
            if "schreiben" in op.get("description", "") and method != "get":
                auth = "Token mit Umfang „schreiben“"
            params = []
            for p in [*shared, *op.get("parameters", [])]:
                p = _resolve(document, p)
                params.append(
                    {
                        "name": p["name"],
                        "in": localized(
                            {"path": "Pfad", "query": "Abfrage"}.get(p["in"], p["in"]), PARAMETER_PLACES_EN
                        ),
                        "required": p.get("required", False),
                        "type": schema_label(p.get("schema")),
                        "description": german(p.get("description", "")),
                    }
                )
            body = None
            if "requestBody" in op:
                body = schema_label(op["requestBody"]["content"]["application/json"]["schema"])
            responses = []
            for code, response in op["responses"].items():
                response = _resolve(document, response)
                content = response.get("content", {})
                media, spec = next(iter(content.items())) if content else ("", {})
                responses.append(
                    (
                        code,
                        localized_or_german(
                            response.get("description", ""), {**RESPONSES_EN, **SUMMARIES_EN}
                        ),
                        Markup(escape(media)) + Markup(" ") + schema_label(spec.get("schema")),
                    )
                )
            groups.setdefault(op["tags"][0], []).append(
                Operation(
                    method=method.upper(),
                    path=base + path,
                    anchor=op["operationId"],
                    summary=localized(op.get("summary", ""), SUMMARIES_EN),
                    description=op.get("description", ""),
                    auth=localized(auth, AUTH_EN),
                    parameters=params,
                    body=body,
                    responses=responses,
                )
            )
    return [(localized(tag, TAGS_EN), ops) for tag, ops in groups.items() if ops]


def schema_rows(schema: dict) -> list[dict[str, Any]]:
    """The properties of an object schema as table rows."""
    required = set(schema.get("required", []))
    return [
        {
            "name": name,
            "type": schema_label(prop),
            "required": name in required,
            "description": german(prop.get("description", "")),
        }
        for name, prop in schema.get("properties", {}).items()
    ]
