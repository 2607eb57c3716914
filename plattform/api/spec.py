"""A thin registry of the API's operations: each view declares its query, body and response models
once (``@operation``), and the same declarations validate the request, validate and serialise the
response, and generate the OpenAPI 3.1 document (``openapi_document``).

Why a registry of our own rather than flask-smorest, spectree or flask-openapi3: see docs/api.md. In
short, the profile model is pydantic already, errors must stay problem+json with German messages, and
the human docs page renders the same document; about 200 lines keep all three in one place.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, wraps
from typing import Any

from flask import Blueprint, jsonify, request
from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic.json_schema import GenerateJsonSchema, models_json_schema
from werkzeug.exceptions import BadRequest

from matching.profiles import ProfileData, ProfileFormatError, field_path, parse_profile, profile_json_schema
from plattform.api.auth import require_token
from plattform.api.problems import ApiError, field_error, validation_error
from plattform.api.schemas import Paging, Problem

API_VERSION = "2.0.0"
PUBLIC = [{}, {"bearer": []}]
TOKEN = [{"bearer": []}]
WRITE = "Braucht ein Token mit dem Umfang „schreiben“."
# What a JSON request body can be refused for: not JSON, too large, not application/json, invalid.
BODY_ERRORS = (400, 413, 415, 422)
REF = "#/components/schemas/{model}"

# German messages for pydantic's own error types (our validators bring their own).
MESSAGES = {
    "missing": "Pflichtfeld fehlt.",
    "extra_forbidden": "Unbekanntes Feld.",
    "string_type": "Falscher Datentyp.",
    "int_type": "Falscher Datentyp.",
    "bool_type": "Falscher Datentyp.",
    "model_type": "Der Inhalt muss ein JSON-Objekt sein.",
    "dict_type": "Der Inhalt muss ein JSON-Objekt sein.",
    "literal_error": "Wert ist nicht erlaubt.",
    "enum": "Wert ist nicht erlaubt.",
    "string_pattern_mismatch": "Wert hat nicht die erwartete Form.",
    "string_too_long": "Text ist zu lang.",
    "string_too_short": "Text ist zu kurz.",
    "greater_than_equal": "Zahl ist zu klein.",
    "less_than_equal": "Zahl ist zu groß.",
}


@dataclass
class Operation:
    """One documented operation."""

    method: str
    rule: str
    op_id: str
    summary: str
    tag: str
    security: list
    description: str = ""
    query: type[BaseModel] | None = None
    body: Any = None
    response: Any = None
    status: int = 200
    errors: tuple[int, ...] = ()
    paged: bool = False
    headers: dict = field(default_factory=dict)
    rule_endpoint: str = ""  # the view's endpoint name in the blueprint

    @property
    def path(self) -> str:
        """The OpenAPI path of the Flask rule (``<int:project_id>`` becomes ``{id}``)."""
        return re.sub(
            r"<(?:\w+:)?(\w+)>", lambda m: "{" + ("id" if m[1].endswith("_id") else m[1]) + "}", self.rule
        )


OPERATIONS: list[Operation] = []
TAGS = ("Token", "Kommunen", "Profile", "Vorschläge", "Kontaktanfragen", "Projekte", "Netzwerke")


def pydantic_errors(exc: ValidationError, prefix: tuple = ()) -> list[dict]:
    """German ``{field, message}`` entries for a pydantic error (one per field, in order)."""
    out, seen = [], set()
    for err in exc.errors():
        ctx = err.get("ctx") or {}
        if "t" in ctx:
            message = ctx["t"] % ctx["p"] if ctx["p"] else ctx["t"]
        elif "message" in ctx and err["type"].startswith("query_"):
            message = ctx["message"]
        else:
            message = MESSAGES.get(err["type"], "Wert ist ungültig.")
        entry = (field_path((*prefix, *err["loc"])), message)
        if entry not in seen:
            seen.add(entry)
            out.append(field_error(*entry))
    return out


def parse_query(model: type[BaseModel] | None) -> BaseModel | None:
    """The query parameters as the model (the first value of each); 422 naming every bad one and
    every parameter the operation does not know (as unknown fields of a body are refused)."""
    unknown = [name for name in request.args if model is None or name not in model.model_fields]
    errors = [field_error(name[:40], "Unbekannter Parameter.") for name in unknown[:10]]
    if model is None:
        if errors:
            raise validation_error(errors)
        return None
    raw = {name: request.args.get(name) for name in model.model_fields if name in request.args}
    try:
        parsed = model.model_validate(raw)
    except ValidationError as exc:
        raise validation_error(pydantic_errors(exc) + errors) from None
    if errors:
        raise validation_error(errors)
    return parsed


def json_body() -> Any:
    """The request's JSON body (415 for another type, 400 for broken JSON)."""
    if not request.is_json:
        raise ApiError(415)
    try:
        data = request.get_json(force=True, silent=False)
        # Lone surrogates pass json.loads but cannot be stored.
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except BadRequest:
        raise ApiError(400, "Der Inhalt ist kein gültiges JSON.") from None
    except (RecursionError, UnicodeEncodeError, ValueError):
        raise ApiError(
            400, "Der Inhalt ist kein verwendbares JSON (zu tief verschachtelt oder ungültige Zeichen)."
        ) from None
    return data


def parse_body(model: Any) -> Any:
    """The body validated by its model; the profile document by the profile model (its messages)."""
    data = json_body()
    if model is ProfileData:
        return data  # the view adds the AGS of the address first, then calls parse_profile_body
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_error(pydantic_errors(exc)) from None


def parse_profile_body(data: Any, record: str) -> ProfileData:
    """The profile document of a request, validated by the one profile model (422 with every issue)."""
    try:
        return parse_profile(data, record=record)
    except ProfileFormatError as exc:
        raise validation_error([field_error(i.field, i.message_de) for i in exc.issues]) from None


def _serialise(model: Any, data: Any) -> Any:
    if model is None:
        return data
    adapter = _adapter(model)
    return adapter.dump_python(adapter.validate_python(data), mode="json")


@cache
def _adapter(model: Any) -> TypeAdapter:
    return TypeAdapter(model)


def operation(
    bp: Blueprint, method: str, rule: str, *, scope: str | None = "lesen", public: bool = False, **spec: Any
) -> Callable:
    """Register a view as an operation: route, token check, request parsing, response validation.

    ``spec`` holds the fields of ``Operation`` (op_id, summary, tag, description, query, body,
    response, status, errors, paged, headers). The view gets ``query=`` and ``body=`` (validated models)
    besides its path arguments and returns the response data, or ``(data, headers)``; the data is
    validated by ``response`` and sent as JSON with ``status``.
    """
    if scope == "schreiben":
        spec["description"] = f"{spec.get('description', '')} {WRITE}".strip()
    spec["errors"] = tuple(spec.get("errors", ()))

    def decorate(view: Callable) -> Callable:
        op = Operation(
            method=method.lower(),
            rule=rule,
            security=PUBLIC if public else TOKEN,
            rule_endpoint=view.__name__,
            **spec,
        )
        OPERATIONS.append(op)

        @wraps(view)
        def wrapped(**kwargs):
            parsed = parse_query(op.query)
            if op.query is not None:
                kwargs["query"] = parsed
            if op.body is not None:
                kwargs["body"] = parse_body(op.body)
            result = view(**kwargs)
            extra_headers: dict = {}
            if isinstance(result, tuple):
                result, extra_headers = result
            response_ = jsonify(_serialise(op.response, result))
            response_.status_code = op.status
            for key, value in extra_headers.items():
                response_.headers[key] = value
            return response_

        guarded = wrapped if public else require_token(scope or "lesen")(wrapped)
        bp.add_url_rule(rule, endpoint=view.__name__, view_func=guarded, methods=[method.upper()])
        return guarded

    return decorate


# --- the document -----------------------------------------------------------------------------------


class _Schemas(GenerateJsonSchema):
    """pydantic's JSON Schema without the generated 'title' of every field and model."""

    def field_title_should_be_set(self, schema) -> bool:
        return False


def _strip_titles(node: Any) -> Any:
    """Drop the schema titles pydantic adds (a string "title"; a property called title is a dict);
    point the marked profile documents at the profile model's schema."""
    if isinstance(node, dict):
        if isinstance(node.get("title"), str):
            del node["title"]
        if node.get("x-profile-document"):
            node.clear()
            node["$ref"] = REF.format(model="ProfileData")
        for value in node.values():
            _strip_titles(value)
    elif isinstance(node, list):
        for item in node:
            _strip_titles(item)
    return node


def _component_schemas() -> dict[str, dict]:
    models: list[tuple[Any, str]] = [(Problem, "serialization")]
    for op in OPERATIONS:
        if op.response is not None:
            models.append((op.response, "serialization"))
        if op.body is not None and op.body is not ProfileData:
            models.append((op.body, "validation"))
    seen: dict[Any, str] = {}
    for model, mode in models:
        seen.setdefault(model, mode)
    _keys, top = models_json_schema(list(seen.items()), ref_template=REF, schema_generator=_Schemas)
    schemas = dict(top.get("$defs", {}))
    document = profile_json_schema(ref_template=REF)
    schemas.update(document.pop("$defs", {}))
    schemas["ProfileData"] = document
    return _strip_titles(schemas)


def _parameters(op: Operation) -> list[dict]:
    params = []
    for name in re.findall(r"{(\w+)}", op.path):
        params.append({"$ref": f"#/components/parameters/{name}"})
    if op.query is not None:
        paging = set(Paging.model_fields)
        schema = op.query.model_json_schema(ref_template=REF, schema_generator=_Schemas)
        names = [n for n in op.query.model_fields if n not in paging] + [
            n for n in Paging.model_fields if n in op.query.model_fields
        ]
        for name in names:
            prop = dict(schema["properties"][name])
            description = prop.pop("description", None)
            if "anyOf" in prop:  # optional filters: the parameter is optional, not null
                options = [s for s in prop.pop("anyOf") if s.get("type") != "null"]
                prop.update(options[0])
            if prop.get("default", "") is None:
                del prop["default"]
            param = {"name": name, "in": "query", "schema": _strip_titles(prop)}
            if description:
                param["description"] = description
            params.append(param)
    return params


def _responses(op: Operation) -> dict:
    ok: dict[str, Any] = {"description": op.summary}
    if op.response is not None:
        name = op.response.__name__
        ok["content"] = {"application/json": {"schema": {"$ref": REF.format(model=name)}}}
    headers = dict(op.headers)
    if op.paged:
        headers["Link"] = {"description": "RFC 8288: first, prev, next, last", "schema": {"type": "string"}}
    if headers:
        ok["headers"] = headers
    codes = {401, 429, 500, *op.errors}
    if op.security == TOKEN and op.method != "get":
        codes.add(403)
    if op.body is not None:
        codes.update(BODY_ERRORS)
    codes.add(422)  # unknown or invalid query parameters
    responses = {str(op.status): ok}
    responses.update({str(c): {"$ref": f"#/components/responses/{c}"} for c in sorted(codes)})
    return responses


def _operation(op: Operation) -> dict:
    out: dict[str, Any] = {
        "operationId": op.op_id,
        "summary": op.summary,
        "tags": [op.tag],
        "security": op.security,
        "responses": _responses(op),
    }
    if op.description:
        out["description"] = op.description
    params = [p for p in _parameters(op) if "$ref" not in p]
    if params:
        out["parameters"] = params
    if op.body is not None:
        name = "ProfileData" if op.body is ProfileData else op.body.__name__
        out["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": REF.format(model=name)}}},
        }
    return out


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


def _error_responses() -> dict:
    content = {"application/problem+json": {"schema": {"$ref": REF.format(model="Problem")}}}
    responses = {code: {"description": text, "content": content} for code, text in ERROR_TEXTS.items()}
    responses["429"]["headers"] = {"Retry-After": {"schema": {"type": "integer"}}}
    responses["401"]["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}}}
    return responses


PATH_PARAMETERS = {
    "ags": {
        "name": "ags",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "pattern": "^[0-9]{5}([0-9]{3})?$"},
        "description": "8-stelliger AGS oder 5-stelliger Kreisschlüssel",
    },
    "id": {
        "name": "id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
    },
}

DESCRIPTION = """\
Die JSON-Schnittstelle von Kommunalmatch für Kommunen, Kreise und ihre IT-Dienstleister.

* Anmeldung: persönliches API-Token (unter „Mein Konto → API-Tokens“) im Kopf
  `Authorization: Bearer km_…`. Sitzungs-Cookies gelten hier nicht.
* Umfang: `lesen` für lesende Abfragen, `schreiben` zusätzlich für Änderungen.
* Feldnamen: englisch in snake_case; nur das Profildokument (`ProfileData`) behält seine deutschen
  Feldnamen, das Austauschformat der Tabellen.
* Fehler: `application/problem+json` nach RFC 9457; Validierungsfehler nennen in `errors` Feld und Grund.
* Seiten: `page` und `per_page` (höchstens 100), Kopf `Link` mit first/prev/next/last.
* Limits je Token: 300 lesende und 60 schreibende Anfragen je Minute (ohne Token 60 je Adresse).
"""


@cache
def _document() -> dict:
    paths: dict[str, dict] = {}
    for op in OPERATIONS:
        item = paths.setdefault(op.path, {})
        names = re.findall(r"{(\w+)}", op.path)
        if names:
            item["parameters"] = [{"$ref": f"#/components/parameters/{n}"} for n in names]
        item[op.method] = _operation(op)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Kommunalmatch API", "version": API_VERSION, "description": DESCRIPTION},
        "servers": [{"url": "/api/v1"}],
        "tags": [{"name": name} for name in TAGS],
        "paths": paths,
        "components": {
            "schemas": _component_schemas(),
            "responses": _error_responses(),
            "parameters": PATH_PARAMETERS,
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
