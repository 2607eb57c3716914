"""Fuzzing with schemathesis against the app's own OpenAPI description, in-process (WSGI, no network).

For every operation, as anonymous, with a read token and with a write token of Kreuzau's officer:
generated requests (valid ones, steered half the time to real AGS and ids, and invalid ones) must never
answer 500, every answer must conform to the description (status code, content type, headers, body
schema), invalid data must be refused, and no generated request may reach another Kommune's private
data: a 2xx for someone else's suggestions, profile, contact requests, project seat or network analysis
fails the test, as does any answer that shows Aldenhoven's confidential data.
"""

from __future__ import annotations

import contextvars
import re
from dataclasses import dataclass

import pytest
import schemathesis
import sqlalchemy as sa
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from plattform.extensions import db
from plattform.kontakte.models import ContactRequest
from plattform.kontakte.services import send_request
from plattform.netzwerke.services import add_member, create_netzwerk
from plattform.projekte.services import propose_project
from tests.plattform.api.conftest import bearer, token_for
from tests.plattform.kontakte.helpers import ALDENHOVEN, KREIS_DUEREN, KREUZAU, NIDEGGEN

# Modest so the suite stays fast; each run covers every operation for three identities in two modes.
POSITIVE_EXAMPLES = 25
NEGATIVE_EXAMPLES = 12
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
B_SECRETS = ("bernd.aldenhoff@aldenhoven.de", "02464 5860", "Vertraulich: Nideggen fragt Aldenhoven")
FOREIGN_AGS = "09162000"  # München: not in the demo region
# Answers each identity's run must have produced at least once.
REACHED = {
    "anonym": {
        ("GET", "/kommunen"): {200, 422},
        ("GET", "/ich"): {401},
        ("PUT", "/kommunen/{ags}/profil"): {401},
    },
    "lesen": {
        ("GET", "/ich"): {200},
        ("GET", "/kommunen/{ags}/vorschlaege"): {200, 403},
        ("GET", "/kontaktanfragen/{id}"): {200, 404},
        ("PUT", "/kommunen/{ags}/profil"): {403},
    },
    "schreiben": {
        ("PUT", "/kommunen/{ags}/profil"): {200, 403},
        ("POST", "/kontaktanfragen"): {403, 422},
        ("POST", "/projekte/{id}/beitreten"): {403},
    },
}


@dataclass
class Seeded:
    """What the fuzzer is steered towards, and what belongs to whom."""

    kreuzau_id: int
    ags_pool: list[str]
    id_pools: dict[str, list[int]]  # per collection (path prefix): its real ids and one that is not
    headers: dict[str, dict]


@pytest.fixture
def seeded(world):
    """Demo profiles and real suggestions for the region, requests, projects, a network, three identities."""
    from plattform.profile.demo import seed_demo_profiles
    from plattform.vorschlaege.services import recompute_full

    seed_demo_profiles()
    recompute_full()
    requests = [
        send_request(world.officer_a, world.a.id, world.b.id, "Kreuzau fragt Aldenhoven"),
        send_request(world.officer_c, world.c.id, world.b.id, "Vertraulich: Nideggen fragt Aldenhoven"),
        send_request(world.officer_c, world.c.id, world.a.id, "Nideggen fragt Kreuzau"),
    ]
    projects = [
        propose_project(world.a, "hundesteuer-digital", "Hundesteuer gemeinsam"),
        propose_project(world.b, "e-akte", "E-Akte im Verbund"),
    ]
    netzwerk = create_netzwerk("Rur-Netz", "frei", coordinators=[world.coordinator])
    for kommune in (world.a, world.b, world.c):
        add_member(netzwerk, kommune)
    db.session.commit()
    return Seeded(
        kreuzau_id=world.a.id,
        ags_pool=[KREUZAU, KREUZAU, ALDENHOVEN, NIDEGGEN, KREIS_DUEREN, FOREIGN_AGS],
        id_pools={
            "/kontaktanfragen": [r.id for r in requests] + [999_999],
            "/projekte": [p.id for p in projects] + [999_999],
            "/netzwerke": [netzwerk.id, 999_999],
        },
        headers={
            "anonym": {},
            "lesen": bearer(token_for(world.officer_a, "lesen")),
            "schreiben": bearer(token_for(world.officer_a, "schreiben")),
        },
    )


# --- the authorisation check ----------------------------------------------------------------------


def _forbidden_reason(case, identity: str, kreuzau_id: int) -> str | None:
    """Why a 2xx would be wrong for this request of Kreuzau's officer (None: a 2xx may be right)."""
    method, path = case.method.upper(), case.path
    security = case.operation.definition.raw.get("security", [])
    if identity == "anonym" and security == [{"bearer": []}]:
        return "ohne Token"
    if identity == "lesen" and method != "GET":
        return "Token mit Umfang lesen"
    if identity == "anonym":
        return None
    params = case.path_parameters or {}
    body = case.body if isinstance(case.body, dict) else {}
    query = case.query or {}
    if path == "/kommunen/{ags}/profil" and method == "PUT" and params.get("ags") != KREUZAU:
        return f"fremdes Profil {params.get('ags')}"
    if path == "/kommunen/{ags}/vorschlaege" and params.get("ags") != KREUZAU:
        return f"fremde Vorschläge {params.get('ags')}"
    if path == "/kontaktanfragen" and method == "POST" and body.get("from_kommune") != KREUZAU:
        return f"Anfrage im Namen von {body.get('from_kommune')}"
    if path == "/kontaktanfragen" and method == "GET" and query.get("kommune") not in (None, KREUZAU):
        return f"Anfragen von {query.get('kommune')}"
    if path.startswith("/kontaktanfragen/{id}"):
        ident = params.get("id")
        valid_id = isinstance(ident, int) and not isinstance(ident, bool) and 1 <= ident < 2**31
        req = db.session.get(ContactRequest, ident) if valid_id else None
        if req is not None:
            sides = {req.from_kommune_id, req.to_kommune_id}
            if kreuzau_id not in sides:
                return f"fremde Anfrage {req.id}"
            if path.endswith(("/annehmen", "/ablehnen")) and req.to_kommune_id != kreuzau_id:
                return f"Anfrage {req.id} beantworten, die Kreuzau gestellt hat"
            if path.endswith("/zurueckziehen") and req.from_kommune_id != kreuzau_id:
                return f"Anfrage {req.id} zurückziehen, die Kreuzau nicht gestellt hat"
    if path.startswith("/projekte/{id}/") and body.get("kommune") != KREUZAU:
        return f"Projekt im Namen von {body.get('kommune')}"
    if path.startswith("/netzwerke/{id}/"):
        return "Netzwerkanalyse ohne Koordination"
    return None


def _make_authorization_check(identity: str, kreuzau_id: int):
    def authorization_holds(ctx, response, case):
        """A generated request never reaches another Kommune's private data."""
        db.session.rollback()  # see the state the request left behind
        reason = _forbidden_reason(case, identity, kreuzau_id)
        if reason and 200 <= response.status_code < 300:
            raise AssertionError(
                f"{case.method} {case.formatted_path}: {response.status_code} trotz {reason}"
            )
        if 200 <= response.status_code < 300:
            text = response.text
            leaked = [s for s in B_SECRETS if s in text]
            assert not leaked, f"{case.method} {case.formatted_path} zeigt Daten von Aldenhoven: {leaked}"
            if case.path == "/kontaktanfragen" and case.method.upper() == "GET":
                for item in response.json()["items"]:
                    assert KREUZAU in (item["from_kommune"]["ags"], item["to_kommune"]["ags"]), item
            if case.path == "/netzwerke":
                for item in response.json()["items"]:
                    assert KREUZAU in {m["ags"] for m in item["members"]}, item
        return None

    return authorization_holds


# --- steering: valid cases sometimes use the real AGS and ids of the seeded data -------------------


def _steer(case, ags: list[str], pick: int, pools: dict[str, list[int]]) -> None:
    """Replace generated AGS and ids with real ones (only for valid cases: they stay valid); an id is
    taken from the pool of the path's own collection."""
    if case.path_parameters:
        if "ags" in case.path_parameters:
            case.path_parameters["ags"] = ags[0]
        if "id" in case.path_parameters:
            pool = next(ids for prefix, ids in pools.items() if case.path.startswith(prefix))
            case.path_parameters["id"] = pool[pick % len(pool)]
    if isinstance(case.body, dict):
        for key, value in (
            ("from_kommune", ags[1]),
            ("to_kommune", ags[2]),
            ("kommune", ags[1]),
            ("ags", ags[0]),
        ):
            if key in case.body:
                case.body[key] = value
    if case.query and "kommune" in case.query:
        case.query["kommune"] = ags[2]


def _run_operation(operation, mode, headers, checks, seeded, examples, seen):
    strategy = operation.as_strategy(generation_mode=mode)
    if mode == schemathesis.GenerationMode.POSITIVE:
        strategy = st.tuples(
            strategy,
            st.lists(st.sampled_from(seeded.ags_pool), min_size=3, max_size=3),
            st.integers(0, 11),
            st.integers(0, 3),
        )

    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(drawn=strategy)
    def run(drawn):
        if mode == schemathesis.GenerationMode.POSITIVE:
            case, ags, pick, steer = drawn
            if steer:
                _steer(case, ags, pick, seeded.id_pools)
        else:
            case = drawn
        # A fresh context per request, as in production (the test's app context would share g and the
        # database session between requests); the checks then run in the test's context.
        response = contextvars.Context().run(case.call, headers=headers)
        seen.setdefault((case.method.upper(), case.path), set()).add(response.status_code)
        case.validate_response(response, checks=checks, headers=headers)

    run()


@pytest.mark.parametrize("identity", ["anonym", "lesen", "schreiben"])
def test_fuzz_every_operation(app, seeded, identity):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    checks = [*CHECKS, _make_authorization_check(identity, seeded.kreuzau_id)]
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 19
    seen: dict[tuple[str, str], set[int]] = {}
    for operation in operations:
        # Without a token, operations that need one only ever answer 401: fewer examples suffice.
        scale = 3 if identity == "anonym" and operation.definition.raw["security"] == [{"bearer": []}] else 1
        _run_operation(
            operation,
            schemathesis.GenerationMode.POSITIVE,
            seeded.headers[identity],
            checks,
            seeded,
            POSITIVE_EXAMPLES // scale,
            seen,
        )
        _run_operation(
            operation,
            schemathesis.GenerationMode.NEGATIVE,
            seeded.headers[identity],
            [*checks, negative_data_rejection],
            seeded,
            NEGATIVE_EXAMPLES // scale,
            seen,
        )
    # The fuzzer reached both sides of the line, so the checks above had something to judge.
    for (method, path), wanted in REACHED[identity].items():
        assert wanted <= seen[(method, path)], (method, path, sorted(seen[(method, path)]))


def test_authorization_check_catches_a_leak(app, seeded):
    """The custom check itself fails when a 2xx reaches Aldenhoven's suggestions (it can fail)."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operation = schema["/kommunen/{ags}/vorschlaege"]["GET"]
    case = operation.Case(path_parameters={"ags": ALDENHOVEN})
    check = _make_authorization_check("lesen", seeded.kreuzau_id)

    class FakeResponse:
        status_code = 200
        text = "{}"

    with pytest.raises(AssertionError, match="fremde Vorschläge 05358004"):
        check(None, FakeResponse(), case)
    own = operation.Case(path_parameters={"ags": KREUZAU})
    response = contextvars.Context().run(own.call, headers=seeded.headers["lesen"])
    assert response.status_code == 200
    check(None, response, own)
    assert re.search(r"\d", response.text)
    assert db.session.scalar(sa.select(sa.func.count(ContactRequest.id))) == 3
