"""The OpenAPI description: valid OpenAPI 3.1, complete (every route described, every description a
route), internally consistent, and rendered as the human page /api/v1/docs."""

from __future__ import annotations

import re

import jsonschema_rs
import pytest

from plattform.api.problems import PROBLEM_TYPES
from tests.plattform.api.test_errors import assert_problem

UNDOCUMENTED = {"/api/v1/openapi.json", "/api/v1/docs"}


@pytest.fixture
def document(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.content_type == "application/json"
    return response.json


def test_description_is_valid_openapi_3_1(document):
    from schemathesis.specs.openapi.definitions import OPENAPI_31_VALIDATOR

    assert document["openapi"] == "3.1.0"
    errors = [f"{list(e.instance_path)}: {e.message}" for e in OPENAPI_31_VALIDATOR.iter_errors(document)]
    assert errors == []


def test_every_component_schema_is_a_valid_json_schema(document):
    for schema in document["components"]["schemas"].values():
        jsonschema_rs.meta.validate(schema)  # raises on an invalid schema


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def test_every_reference_resolves(document):
    for ref in set(_refs(document)):
        section, name = re.fullmatch(r"#/components/(\w+)/(\w+)", ref).groups()
        assert name in document["components"][section], ref


def _documented(document) -> set[tuple[str, str]]:
    base = document["servers"][0]["url"]
    return {
        (method.upper(), base + path)
        for path, item in document["paths"].items()
        for method in item
        if method in ("get", "put", "post", "patch", "delete")
    }


def test_every_route_is_described_and_every_description_is_a_route(app, document):
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] != "api" or rule.rule in UNDOCUMENTED:
            continue
        path = re.sub(
            r"<(?:\w+:)?(\w+)>", lambda m: "{" + ("id" if m[1].endswith("_id") else m[1]) + "}", rule.rule
        )
        routes |= {(method, path) for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert routes == _documented(document)


def test_operations_declare_the_errors_they_can_answer(document):
    for path, item in document["paths"].items():
        for method, op in item.items():
            if method == "parameters":
                continue
            codes = set(op["responses"])
            assert {"401", "429", "500"} <= codes, (method, path)
            assert any(c.startswith("2") for c in codes)
            if "requestBody" in op:
                assert {"400", "413", "415", "422"} <= codes, (method, path)
            if method != "get":
                assert op["security"] == [{"bearer": []}] and "403" in codes, (method, path)
            assert op["operationId"] and op["summary"]


def test_security_scheme_is_bearer(document):
    assert document["components"]["securitySchemes"]["bearer"] == {
        **document["components"]["securitySchemes"]["bearer"],
        "type": "http",
        "scheme": "bearer",
    }


def test_docs_page_lists_every_operation_schema_and_problem_type(client, document):
    page = client.get("/api/v1/docs")
    assert page.status_code == 200 and page.content_type.startswith("text/html")
    html = page.get_data(as_text=True)
    # No docs renderer from elsewhere: the only scripts are the platform's own (the header menu).
    scripts = re.findall(r"<script[^>]*>", html)
    assert all('src="/static/' in tag for tag in scripts), scripts
    assert "cdn" not in html.lower()
    assert 'href="/api/v1/openapi.json"' in html
    for item in document["paths"].values():
        for method, op in item.items():
            if method != "parameters":
                assert f'id="op-{op["operationId"]}"' in html
    for name in document["components"]["schemas"]:
        assert f'id="schema-{name}"' in html
    for slug, _title in PROBLEM_TYPES.values():
        assert f'id="problem-{slug}"' in html


def test_problem_type_points_to_its_section_of_the_docs_page(client):
    body = assert_problem(client.get("/api/v1/kommunen?page=x"), 422)
    anchor = body["type"].split("#", 1)[1]
    assert f'id="{anchor}"' in client.get("/api/v1/docs").get_data(as_text=True)


# --- one naming rule (docs/api.md) ------------------------------------------------------------------

# The profile document keeps its German field names (the spreadsheets' exchange format).
PROFILE_DOCUMENT = {"ProfileData", "ProjectEntry"}
# English words the API's field names are made of, and the domain's own terms STYLE.md keeps German.
_WORDS = """
active analysis answered approximate area at betweenness brokers by closed communities community
components contacts coordinated created date de degree demo density description detail direction
directory distance edges email errors estimated expires explanation facts field finished from gini
has id instance is isolated items kind kinds km km2 label lat lead learns level links lon me members
message n name needs network networks nodes outside own page partner partners parts per phone
population postcode priority profile projects q rank result reuse role run same scope score shared
short size source status target teachers teaches title to token topic topics total type uncovered
updated urbanisation user weight with x y you
"""
ENGLISH = set(_WORDS.split())
DOMAIN_TERMS = {"ags", "kommune", "kommunen", "kreis", "land", "gemeinden"}
SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")


def _field_names(schema: dict):
    if isinstance(schema, dict):
        for name, prop in schema.get("properties", {}).items():
            yield name
            yield from _field_names(prop)
        for key in ("items", "additionalProperties"):
            if isinstance(schema.get(key), dict):
                yield from _field_names(schema[key])
        for option in schema.get("anyOf", []):
            yield from _field_names(option)


def test_every_field_and_parameter_follows_the_naming_rule(document):
    names = set()
    for schema_name, schema in document["components"]["schemas"].items():
        if schema_name not in PROFILE_DOCUMENT:
            names |= {(schema_name, n) for n in _field_names(schema)}
    for path, item in document["paths"].items():
        for method, op in item.items():
            if method != "parameters":
                names |= {(f"{method} {path}", p["name"]) for p in op.get("parameters", [])}
    assert len(names) > 100
    broken = sorted(
        (where, name)
        for where, name in names
        if not SNAKE.match(name) or any(w not in ENGLISH | DOMAIN_TERMS for w in name.split("_"))
    )
    assert broken == []


def test_the_naming_walk_catches_a_german_field(document):
    document["components"]["schemas"]["Project"]["properties"]["erstellt_am"] = {"type": "string"}
    names = set(_field_names(document["components"]["schemas"]["Project"]))
    assert any(w not in ENGLISH | DOMAIN_TERMS for n in names for w in n.split("_"))


def test_the_profile_document_is_the_profile_models_schema(document):
    from matching.profiles import profile_json_schema

    expected = profile_json_schema(ref_template="#/components/schemas/{model}")
    expected.pop("$defs")
    assert document["components"]["schemas"]["ProfileData"] == expected
    put = document["paths"]["/kommunen/{ags}/profil"]["put"]
    assert put["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ProfileData"
    }


def test_answers_in_these_tests_are_checked_against_the_document(client, responses_match_the_document):
    client.get("/api/v1/kommunen?per_page=1")
    client.get("/api/v1/kommunen?per_page=0")
    assert responses_match_the_document == ["searchKommunen", "searchKommunen"]
