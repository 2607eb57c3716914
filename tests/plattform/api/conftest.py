"""API tests: the demo region with three officers, a coordinator, an administrator, and their tokens."""

from __future__ import annotations

import pytest

from plattform.api.services import create_token
from plattform.extensions import db
from tests.plattform.kontakte.helpers import make_world


def bearer(secret: str) -> dict:
    """The Authorization header for a token."""
    return {"Authorization": f"Bearer {secret}"}


def token_for(user, scope: str = "lesen", name: str | None = None, days: int | None = None) -> str:
    """Create a token for the user, commit, and return its secret."""
    _token, secret = create_token(user, name or f"Test {scope}", scope, days)
    db.session.commit()
    return secret


@pytest.fixture
def world(demo_region):
    """Kreuzau (a), Aldenhoven (b), Nideggen (c) and Kreis Düren with their people (see make_world)."""
    return make_world()


@pytest.fixture(autouse=True)
def responses_match_the_document(app):
    """Every answer of /api/v1 in these tests is checked against the OpenAPI document's schema for its
    operation and status (the document generated from the same declarations the views use)."""
    import jsonschema_rs
    from flask import request

    from plattform.api.spec import OPERATIONS, openapi_document

    document = openapi_document()
    by_endpoint = {f"api.{op.rule_endpoint}": op for op in OPERATIONS if getattr(op, "rule_endpoint", None)}
    validators: dict[str, object] = {}
    checked: list[str] = []

    def validator(name: str):
        if name not in validators:
            root = {"$ref": f"#/components/schemas/{name}", "components": document["components"]}
            validators[name] = jsonschema_rs.Draft202012Validator(root)
        return validators[name]

    def check(response):
        op = by_endpoint.get(request.endpoint or "")
        if op is None or (not response.is_json and response.mimetype != "application/problem+json"):
            return response
        documented = document["paths"][op.path][op.method]["responses"]
        assert str(response.status_code) in documented, (op.op_id, response.status_code)
        name = op.response.__name__ if response.status_code < 400 else "Problem"
        errors = [str(e) for e in validator(name).iter_errors(response.get_json())]
        assert not errors, (op.op_id, response.status_code, errors[:3])
        checked.append(op.op_id)
        return response

    app.after_request_funcs.setdefault(None, []).append(check)
    yield checked
