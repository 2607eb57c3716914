"""Each endpoint of /api/v1: the happy path, who is refused (403/404), and validation as problem+json."""

from __future__ import annotations

import sqlalchemy as sa

from plattform.extensions import db
from plattform.kontakte.models import ContactRequest, Partnership
from plattform.netzwerke.services import add_member, create_netzwerk
from plattform.profile.models import Profile
from plattform.projekte.services import propose_project
from tests.matching.test_profiles import EXAMPLE
from tests.plattform.api.conftest import bearer, token_for
from tests.plattform.api.test_errors import assert_problem
from tests.plattform.kontakte.helpers import seed_suggestions

KREUZAU, ALDENHOVEN, NIDEGGEN, KREIS_DUEREN = "05358028", "05358004", "05358044", "05358"
PROFILE = EXAMPLE  # the DESIGN.md example


# --- Kommunen -----------------------------------------------------------------------------------


def test_search_kommunen_by_name_kreis_and_land(client, demo_region):
    body = client.get("/api/v1/kommunen?q=Kreuzau").json
    assert body["total"] == 1 and body["page"] == 1 and body["per_page"] == 25
    (kreuzau,) = body["items"]
    assert kreuzau == {
        "ags": KREUZAU,
        "name": "Kreuzau",
        "short_name": "Kreuzau",
        "level": "gemeinde",
        "kind": kreuzau["kind"],
        "kind_label": kreuzau["kind_label"],
        "land": "05",
        "land_name": "Nordrhein-Westfalen",
        "kreis_ags": KREIS_DUEREN,
        "population": kreuzau["population"],
        "lat": kreuzau["lat"],
        "lon": kreuzau["lon"],
        "active": True,
    }
    in_kreis = client.get(f"/api/v1/kommunen?kreis={KREIS_DUEREN}&per_page=100").json
    assert in_kreis["total"] == 16  # the Kreis and its 15 Gemeinden
    assert all(k["ags"].startswith(KREIS_DUEREN) for k in in_kreis["items"])
    assert client.get("/api/v1/kommunen?land=09").json["total"] == 0


def test_kommune_detail_with_kreis_gemeinden_partners_and_profile_flag(client, world):
    db.session.add(
        Partnership(kommune_a_id=min(world.a.id, world.b.id), kommune_b_id=max(world.a.id, world.b.id))
    )
    db.session.commit()
    kreuzau = client.get(f"/api/v1/kommunen/{KREUZAU}").json
    assert kreuzau["kreis"] == {"ags": KREIS_DUEREN, "name": world.kreis.name}
    assert kreuzau["partners"] == [{"ags": ALDENHOVEN, "name": "Aldenhoven"}]
    assert kreuzau["has_profile"] is False and kreuzau["gemeinden"] == []
    kreis = client.get(f"/api/v1/kommunen/{KREIS_DUEREN}").json
    assert kreis["level"] == "kreis" and len(kreis["gemeinden"]) == 15
    assert {"ags": KREUZAU, "name": "Kreuzau"} in kreis["gemeinden"]


# --- profiles -------------------------------------------------------------------------------------


def test_profile_put_then_get_round_trips_the_design_format(client, world):
    assert_problem(client.get(f"/api/v1/kommunen/{KREUZAU}/profil"), 404)
    secret = token_for(world.officer_a, "schreiben")
    saved = client.put(f"/api/v1/kommunen/{KREUZAU}/profil", json=PROFILE, headers=bearer(secret))
    assert saved.status_code == 200, saved.json
    assert saved.json["profile"] == PROFILE
    assert saved.json["kommune"] == {"ags": KREUZAU, "name": "Kreuzau"}
    assert saved.json["type"] and saved.json["estimated"] is False
    public = client.get(f"/api/v1/kommunen/{KREUZAU}/profil").json
    assert public == saved.json
    # The stored profile is what the web shows; who saved it is noted.
    profile = db.session.scalar(sa.select(Profile).where(Profile.kommune_id == world.a.id))
    assert profile.staerken == {"ozg-umsetzung": 3, "it-sicherheit": 2}
    assert profile.updated_by_id == world.officer_a.id
    # Writing back what was read works; ags may be left out.
    back = {k: v for k, v in public["profile"].items() if k != "ags"} | {"reichweite_km": 30}
    again = client.put(f"/api/v1/kommunen/{KREUZAU}/profil", json=back, headers=bearer(secret))
    assert again.status_code == 200 and again.json["profile"]["reichweite_km"] == 30


def test_profile_write_is_only_for_those_who_may_edit(client, world):
    body = {"ziele": ["effizienz"]}
    for user, expected in (
        (world.officer_b, 403),  # another Kommune's officer
        (world.nobody, 403),  # no membership
        (world.pending_b, 403),  # not yet approved
        (world.officer_a, 200),  # its own officer
        (world.coordinator, 200),  # the Kreis coordinator
        (world.admin, 200),
    ):
        response = client.put(
            f"/api/v1/kommunen/{KREUZAU}/profil", json=body, headers=bearer(token_for(user, "schreiben"))
        )
        assert response.status_code == expected, (user.name, response.json)
    assert client.put(f"/api/v1/kommunen/{KREUZAU}/profil", json=body).status_code == 401


def test_profile_validation_names_field_and_reason_in_german(client, world):
    secret = token_for(world.officer_a, "schreiben")

    def put(body):
        return assert_problem(
            client.put(f"/api/v1/kommunen/{KREUZAU}/profil", json=body, headers=bearer(secret)), 422
        )["errors"]

    assert put({"staerken": {"e-akte": 4}}) == [
        {"field": "staerken.e-akte", "message": "Stufe 4 liegt nicht zwischen 1 und 3."}
    ]
    assert put({"bedarfe": {"hundesteuer": 2}}) == [
        {"field": "bedarfe.hundesteuer", "message": "Unbekanntes Thema 'hundesteuer'."}
    ]
    assert put({"staerke": {"e-akte": 2}}) == [{"field": "staerke", "message": "Unbekanntes Feld 'staerke'."}]
    assert put({"ags": ALDENHOVEN}) == [
        {"field": "ags", "message": f"AGS {ALDENHOVEN} passt nicht zur Adresse (Kommune {KREUZAU})."}
    ]
    assert put({"reichweite_km": 5000})[0]["field"] == "reichweite_km"
    # One model for every entrance: a control character in a title is refused here as in a file.
    errors = put({"projekte": [{"thema": "e-akte", "status": "laufend", "titel": "x" * 199 + "\u0000"}]})
    assert errors == [
        {
            "field": "projekte.1.titel",
            "message": "Der Titel enthält Steuerzeichen (etwa NUL oder Zeilenumbrüche); "
            "bitte nur Text angeben.",
        }
    ]
    # Several problems at once, each named.
    assert [e["field"] for e in put({"staerken": {"e-akte": 0}, "reichweite_km": 12.4})] == [
        "staerken.e-akte",
        "reichweite_km",
    ]
    assert put([1, 2]) == [{"field": "-", "message": "Ein Profil muss ein JSON-Objekt sein."}]
    assert db.session.scalar(sa.select(sa.func.count(Profile.id))) == 0


# --- suggestions ----------------------------------------------------------------------------------


def test_suggestions_for_own_kommune_with_the_cli_fields(client, world):
    seed_suggestions(
        world.a,
        [
            {"partner": world.b, "teaches_me": ["e-akte"], "learns_from_me": ["fim"], "distance_km": 14.2},
            {"partner": world.c, "distance_km": None},
        ],
    )
    response = client.get(
        f"/api/v1/kommunen/{KREUZAU}/vorschlaege", headers=bearer(token_for(world.officer_a))
    )
    assert response.status_code == 200
    body = response.json
    assert body["kommune"] == {"ags": KREUZAU, "name": "Kreuzau"}
    assert body["run"]["size"] == 3
    assert body["total"] == 2
    first = body["items"][0]
    assert set(first) == {
        "rank", "ags", "name", "score", "teaches_me", "learns_from_me", "distance_km", "explanation",
        "facts", "explanation_de",
    }  # fmt: skip
    assert first["ags"] == ALDENHOVEN and first["teaches_me"] == ["e-akte"] and first["distance_km"] == 14.2
    assert body["items"][1]["ags"] == NIDEGGEN


def test_suggestions_of_another_kommune_are_refused(client, world):
    seed_suggestions(world.b, [{"partner": world.c, "teaches_me": ["hundesteuer-digital"]}])
    marker = "Aldenhoven kann von Nideggen im Thema „Hundesteuer digital“ lernen"
    for user in (world.officer_a, world.coordinator, world.admin, world.nobody, world.pending_b):
        response = client.get(f"/api/v1/kommunen/{ALDENHOVEN}/vorschlaege", headers=bearer(token_for(user)))
        assert response.status_code == 403, user.name
        assert "Hundesteuer" not in response.get_data(as_text=True)
    assert client.get(f"/api/v1/kommunen/{ALDENHOVEN}/vorschlaege").status_code == 401
    own = client.get(f"/api/v1/kommunen/{ALDENHOVEN}/vorschlaege", headers=bearer(token_for(world.officer_b)))
    assert own.json["items"][0]["explanation"].startswith(marker)
    assert own.json["items"][0]["facts"]["teaches_me"] == [
        {"topic": "hundesteuer-digital", "level": 3, "estimated": False}
    ]


# --- contact requests -----------------------------------------------------------------------------


def test_contact_request_lifecycle_through_the_api(client, world):
    a_write, b_write = token_for(world.officer_a, "schreiben"), token_for(world.officer_b, "schreiben")
    c_read = token_for(world.officer_c)
    created = client.post(
        "/api/v1/kontaktanfragen",
        json={
            "from_kommune": KREUZAU,
            "to_kommune": ALDENHOVEN,
            "message": "Wir möchten von Ihrer E-Akte lernen.",
        },
        headers=bearer(a_write),
    )
    assert created.status_code == 201, created.json
    request_id = created.json["id"]
    assert created.headers["Location"] == f"/api/v1/kontaktanfragen/{request_id}"
    assert created.json["status"] == "offen" and created.json["contacts"] is None

    incoming = client.get("/api/v1/kontaktanfragen?direction=incoming", headers=bearer(b_write)).json
    assert [r["id"] for r in incoming["items"]] == [request_id]
    assert incoming["items"][0]["message"] == "Wir möchten von Ihrer E-Akte lernen."
    outgoing = client.get(
        f"/api/v1/kontaktanfragen?kommune={KREUZAU}&direction=outgoing", headers=bearer(a_write)
    )
    assert [r["id"] for r in outgoing.json["items"]] == [request_id]
    assert client.get("/api/v1/kontaktanfragen", headers=bearer(c_read)).json["total"] == 0
    # A third Kommune cannot see it; the asking side cannot answer it.
    assert_problem(client.get(f"/api/v1/kontaktanfragen/{request_id}", headers=bearer(c_read)), 404)
    assert_problem(
        client.post(f"/api/v1/kontaktanfragen/{request_id}/annehmen", headers=bearer(a_write)), 403
    )
    c_write = token_for(world.officer_c, "schreiben")
    assert_problem(
        client.post(f"/api/v1/kontaktanfragen/{request_id}/annehmen", headers=bearer(c_write)), 404
    )
    # Contact details only once they are partners.
    before = client.get(f"/api/v1/kontaktanfragen/{request_id}", headers=bearer(b_write)).json
    assert before["contacts"] is None

    accepted = client.post(f"/api/v1/kontaktanfragen/{request_id}/annehmen", headers=bearer(b_write))
    assert accepted.status_code == 200 and accepted.json["status"] == "angenommen"
    assert accepted.json["answered_at"] is not None
    people = accepted.json["contacts"]
    assert [p["email"] for p in people] == ["anna.kreuzer@kreuzau.de"]
    assert "paul.wartend@aldenhoven.de" not in str(people)
    a_view = client.get(f"/api/v1/kontaktanfragen/{request_id}", headers=bearer(a_write)).json
    assert [p["email"] for p in a_view["contacts"]] == ["bernd.aldenhoff@aldenhoven.de"]
    assert db.session.scalar(sa.select(sa.func.count(Partnership.id))) == 1
    # Answering twice or asking again is a conflict.
    assert_problem(
        client.post(f"/api/v1/kontaktanfragen/{request_id}/ablehnen", headers=bearer(b_write)), 409
    )
    again = client.post(
        "/api/v1/kontaktanfragen",
        json={"from_kommune": KREUZAU, "to_kommune": ALDENHOVEN},
        headers=bearer(a_write),
    )
    assert assert_problem(again, 409)["detail"] == "Sie sind bereits Lernpartner dieser Kommune."


def test_contact_request_refusals_and_validation(client, world):
    a_write, a_read = token_for(world.officer_a, "schreiben"), token_for(world.officer_a)

    def post(body, secret=a_write):
        return client.post("/api/v1/kontaktanfragen", json=body, headers=bearer(secret))

    assert_problem(post({"from_kommune": ALDENHOVEN, "to_kommune": NIDEGGEN}), 403)  # acting for someone else
    assert_problem(post({"from_kommune": KREUZAU, "to_kommune": NIDEGGEN}, a_read), 403)  # read scope
    assert post({"from_kommune": KREUZAU, "to_kommune": "09999999"}).json["errors"] == [
        {"field": "to_kommune", "message": "AGS 09999999 ist nicht im Verzeichnis."}
    ]
    assert post({"from_kommune": KREUZAU, "to_kommune": KREUZAU}).json["errors"][0]["field"] == "to_kommune"
    assert post({"from_kommune": KREUZAU, "to_kommune": NIDEGGEN, "message": "x" * 1001}).json["errors"] == [
        {"field": "message", "message": "Text ist zu lang."}
    ]
    assert post({"from_kommune": KREUZAU, "to_kommune": NIDEGGEN, "cc": "x"}).json["errors"] == [
        {"field": "cc", "message": "Unbekanntes Feld."}
    ]
    assert_problem(client.get(f"/api/v1/kontaktanfragen?kommune={ALDENHOVEN}", headers=bearer(a_read)), 403)
    assert_problem(client.get("/api/v1/kontaktanfragen?direction=sideways", headers=bearer(a_read)), 422)
    assert db.session.scalar(sa.select(sa.func.count(ContactRequest.id))) == 0


def test_withdraw_only_by_the_asking_side(client, world):
    a_write, b_write = token_for(world.officer_a, "schreiben"), token_for(world.officer_b, "schreiben")
    request_id = client.post(
        "/api/v1/kontaktanfragen",
        json={"from_kommune": KREUZAU, "to_kommune": NIDEGGEN},
        headers=bearer(a_write),
    ).json["id"]
    request_b = client.post(
        "/api/v1/kontaktanfragen",
        json={"from_kommune": ALDENHOVEN, "to_kommune": KREUZAU},
        headers=bearer(b_write),
    ).json["id"]
    assert_problem(
        client.post(f"/api/v1/kontaktanfragen/{request_b}/zurueckziehen", headers=bearer(a_write)), 403
    )
    done = client.post(f"/api/v1/kontaktanfragen/{request_id}/zurueckziehen", headers=bearer(a_write))
    assert done.status_code == 200 and done.json["status"] == "zurueckgezogen"
    assert_problem(
        client.post(f"/api/v1/kontaktanfragen/{request_id}/zurueckziehen", headers=bearer(a_write)), 409
    )
    declined = client.post(f"/api/v1/kontaktanfragen/{request_b}/ablehnen", headers=bearer(a_write))
    assert declined.status_code == 200 and declined.json["status"] == "abgelehnt"


# --- shared projects ------------------------------------------------------------------------------


def test_projects_list_detail_join_and_leave(client, world):
    project = propose_project(
        world.a, "hundesteuer-digital", "Hundesteuer gemeinsam", "Ein Verfahren für alle"
    )
    db.session.commit()
    listing = client.get("/api/v1/projekte").json
    assert [p["title"] for p in listing["items"]] == ["Hundesteuer gemeinsam"]
    assert client.get("/api/v1/projekte?status=abgeschlossen").json["total"] == 0
    assert client.get("/api/v1/projekte?topic=hundesteuer-digital").json["total"] == 1
    detail = client.get(f"/api/v1/projekte/{project.id}").json
    assert detail["lead"] == {"ags": KREUZAU, "name": "Kreuzau"}
    assert detail["members"] == [{"ags": KREUZAU, "name": "Kreuzau", "status": "beigetreten"}]
    assert detail["topic_label"] and detail["status"] == "vorgeschlagen"

    a_write, b_write = token_for(world.officer_a, "schreiben"), token_for(world.officer_b, "schreiben")
    join = f"/api/v1/projekte/{project.id}/beitreten"
    assert_problem(client.post(join, json={"kommune": ALDENHOVEN}, headers=bearer(a_write)), 403)
    assert_problem(
        client.post(join, json={"kommune": ALDENHOVEN}, headers=bearer(token_for(world.officer_b))), 403
    )
    joined = client.post(join, json={"kommune": ALDENHOVEN}, headers=bearer(b_write))
    assert joined.status_code == 200
    assert {"ags": ALDENHOVEN, "name": "Aldenhoven", "status": "beigetreten"} in joined.json["members"]
    assert_problem(client.post(join, json={"kommune": ALDENHOVEN}, headers=bearer(b_write)), 409)
    assert (
        client.post(join, json={"kommune": "09999999"}, headers=bearer(b_write)).json["errors"][0]["field"]
        == "kommune"
    )
    assert_problem(client.post(join, json={}, headers=bearer(b_write)), 422)
    assert_problem(
        client.post(
            "/api/v1/projekte/999999/beitreten", json={"kommune": ALDENHOVEN}, headers=bearer(b_write)
        ),
        404,
    )

    leave = f"/api/v1/projekte/{project.id}/verlassen"
    lead_leaves = client.post(leave, json={"kommune": KREUZAU}, headers=bearer(a_write))
    assert "Federführung" in assert_problem(lead_leaves, 409)["detail"]
    left = client.post(leave, json={"kommune": ALDENHOVEN}, headers=bearer(b_write))
    assert left.status_code == 200 and ALDENHOVEN not in {m["ags"] for m in left.json["members"]}


# --- networks -------------------------------------------------------------------------------------


def _network(world):
    netzwerk = create_netzwerk("Rur-Netz", "frei", "Test", coordinators=[world.coordinator])
    for kommune in (world.a, world.b):
        add_member(netzwerk, kommune)
    db.session.add(
        Partnership(kommune_a_id=min(world.a.id, world.b.id), kommune_b_id=max(world.a.id, world.b.id))
    )
    db.session.commit()
    return netzwerk


def test_networks_list_shows_own_networks_only(client, world):
    netzwerk = _network(world)
    mine = client.get("/api/v1/netzwerke", headers=bearer(token_for(world.officer_a))).json
    assert [n["name"] for n in mine["items"]] == ["Rur-Netz"]
    assert mine["items"][0]["coordinated_by_you"] is False
    assert [m["ags"] for m in mine["items"][0]["members"]] == [ALDENHOVEN, KREUZAU]
    coordinator = client.get("/api/v1/netzwerke", headers=bearer(token_for(world.coordinator))).json
    assert (
        coordinator["items"][0]["coordinated_by_you"] is True and coordinator["items"][0]["id"] == netzwerk.id
    )
    assert client.get("/api/v1/netzwerke", headers=bearer(token_for(world.officer_c))).json["total"] == 0
    assert client.get("/api/v1/netzwerke", headers=bearer(token_for(world.admin))).json["total"] == 1


def test_network_graph_and_coverage_only_for_its_coordinators(client, world):
    netzwerk = _network(world)
    for path in (f"/api/v1/netzwerke/{netzwerk.id}/graph", f"/api/v1/netzwerke/{netzwerk.id}/abdeckung"):
        for user in (world.officer_a, world.officer_c, world.nobody):
            assert_problem(client.get(path, headers=bearer(token_for(user))), 403)
        assert client.get(path, headers=bearer(token_for(world.admin))).status_code == 200
    graph = client.get(
        f"/api/v1/netzwerke/{netzwerk.id}/graph", headers=bearer(token_for(world.coordinator))
    ).json
    assert {n["id"] for n in graph["nodes"]} == {KREUZAU, ALDENHOVEN}
    assert graph["links"] == [
        {"source": ALDENHOVEN, "target": KREUZAU, "weight": 1.0, "kinds": ["partnerschaft"], "projects": []}
    ]
    assert graph["analysis"]["n_members"] == 2 and graph["analysis"]["n_edges"] == 1
    coverage = client.get(
        f"/api/v1/netzwerke/{netzwerk.id}/abdeckung", headers=bearer(token_for(world.coordinator))
    ).json
    assert coverage["n_members"] == 2 and coverage["n_with_profile"] == 0 and coverage["topics"] == []
    assert_problem(
        client.get("/api/v1/netzwerke/999999/graph", headers=bearer(token_for(world.coordinator))), 404
    )


def test_unknown_query_parameters_are_refused_like_unknown_fields(client, demo_region):
    body = assert_problem(client.get("/api/v1/kommunen?q=Kreuzau&ebene=gemeinde"), 422)
    assert body["errors"] == [{"field": "ebene", "message": "Unbekannter Parameter."}]
    assert assert_problem(client.get(f"/api/v1/kommunen/{KREUZAU}?x=1"), 422)["errors"][0]["field"] == "x"
    assert client.get("/api/v1/kommunen?q=Kreuzau").status_code == 200
