"""The human page of the API: the OpenAPI description turned into plain HTML (no JavaScript, no CDN)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup, escape

METHODS = ("get", "put", "post", "patch", "delete")


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _schema_link(name: str) -> Markup:
    return Markup('<a class="kern-link" href="#schema-{0}">{0}</a>').format(name)


def schema_label(schema: dict | None) -> Markup:
    """A short German description of a schema, with links to named components."""
    if not schema:
        return Markup("–")
    if "$ref" in schema:
        return _schema_link(_ref_name(schema["$ref"]))
    if "anyOf" in schema:
        parts = [schema_label(s) for s in schema["anyOf"]]
        return Markup(" oder ").join(parts)
    kind = schema.get("type")
    if kind == "null":
        return Markup("null")
    if kind == "array":
        return Markup("Liste von ") + schema_label(schema.get("items"))
    if (
        kind == "object"
        and "additionalProperties" in schema
        and isinstance(schema["additionalProperties"], dict)
    ):
        return Markup("Objekt Schlüssel → ") + schema_label(schema["additionalProperties"])
    text = escape(kind or "beliebig")
    details = []
    if "format" in schema:
        details.append(schema["format"])
    if "enum" in schema:
        shown = ", ".join(str(v) for v in schema["enum"][:8])
        details.append("eines von: " + shown + (" …" if len(schema["enum"]) > 8 else ""))
    if "minimum" in schema or "maximum" in schema:
        details.append(f"{schema.get('minimum', '')}–{schema.get('maximum', '')}")
    if "maxLength" in schema:
        details.append(f"höchstens {schema['maxLength']} Zeichen")
    if "pattern" in schema and "enum" not in schema and len(schema["pattern"]) < 30:
        details.append("Muster " + schema["pattern"])
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
                        "in": {"path": "Pfad", "query": "Abfrage"}.get(p["in"], p["in"]),
                        "required": p.get("required", False),
                        "type": schema_label(p.get("schema")),
                        "description": p.get("description", ""),
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
                        response.get("description", ""),
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
            "description": prop.get("description", ""),
        }
        for name, prop in schema.get("properties", {}).items()
    ]
