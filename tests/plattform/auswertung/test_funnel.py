"""The funnel: counts per stage and ISO week for a network, a Kreis or a Land; the chart and the CSV;
`pair_outcomes` for issue 12."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from plattform.auswertung.funnel import pair_outcomes, weekly_funnel
from plattform.extensions import db
from plattform.kontakte.services import answer_request, send_request
from plattform.netzwerke.services import add_member, create_netzwerk
from plattform.projekte.services import join_project, propose_project
from plattform.vorschlaege.services import record_shown
from tests.factories import KommuneFactory, MembershipFactory, UserFactory

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)  # a Wednesday of 2026-W49


@pytest.fixture
def world(app):
    kreis = KommuneFactory(ags="05358", ebene="kreis", kind="kreis", name="Düren", population=None)
    a = KommuneFactory(ags="05358004", name="Aldenhoven", kreis_id=kreis.id)
    b = KommuneFactory(ags="05358028", name="Kreuzau", kreis_id=kreis.id)
    c = KommuneFactory(ags="05358044", name="Nideggen", kreis_id=kreis.id)
    far = KommuneFactory(
        ags="08311000", name="Freiburg", land__schluessel="08", land__name="Baden-Württemberg"
    )
    officer_a, officer_b = UserFactory(name="A"), UserFactory(name="B")
    MembershipFactory(user=officer_a, kommune=a)
    MembershipFactory(user=officer_b, kommune=b)
    coordinator = UserFactory(name="Kora", email="kora@kreis-dueren.example")
    MembershipFactory(user=coordinator, kommune=kreis, role="koordination")
    netzwerk = create_netzwerk("kdvz", "zweckverband", coordinators=[coordinator])
    add_member(netzwerk, a)
    add_member(netzwerk, b)
    db.session.commit()
    # Week 47: A is shown B and C; week 48: A asks B, B accepts (a partnership); week 49: a project.
    record_shown(a.id, [b.id, c.id], now=NOW - timedelta(weeks=2))
    record_shown(far.id, [a.id], now=NOW - timedelta(weeks=2))  # outside the group
    req = send_request(officer_a, a.id, b.id, "Hallo")
    req.created_at = NOW - timedelta(weeks=1)
    answer_request(req, officer_b, accept=True)
    req.answered_at = NOW - timedelta(weeks=1)
    from plattform.kontakte.models import Partnership

    db.session.flush()
    db.session.query(Partnership).update({"created_at": NOW - timedelta(weeks=1)})
    project = propose_project(a, "hundesteuer-digital", "Hundesteuer gemeinsam")
    project.created_at = NOW - timedelta(hours=1)
    join_project(project, b.id)
    db.session.commit()
    return {
        "kreis": kreis,
        "a": a,
        "b": b,
        "c": c,
        "far": far,
        "netzwerk": netzwerk,
        "coordinator": coordinator,
    }


def test_weekly_counts_per_stage_for_the_group(world):
    funnel = weekly_funnel({world["a"].id, world["b"].id}, weeks=4, now=NOW)
    assert [w.week for w in funnel.weeks] == ["2026-W46", "2026-W47", "2026-W48", "2026-W49"]
    by_week = {w.week: w.counts for w in funnel.weeks}
    assert by_week["2026-W46"] == dict.fromkeys(by_week["2026-W46"], 0)
    assert by_week["2026-W47"]["angezeigt"] == 2
    assert by_week["2026-W48"] | {} == {
        "angezeigt": 0,
        "angefragt": 1,
        "angenommen": 1,
        "partnerschaft": 1,
        "projekt": 0,
    }
    assert by_week["2026-W49"]["projekt"] == 1
    assert funnel.totals == {
        "angezeigt": 2,
        "angefragt": 1,
        "angenommen": 1,
        "partnerschaft": 1,
        "projekt": 1,
    }
    # Freiburg's showing is not the group's.
    assert weekly_funnel({world["far"].id}, weeks=4, now=NOW).totals["angezeigt"] == 1


def test_pair_outcomes_give_the_furthest_stage_per_pair(world):
    a, b, c = world["a"].id, world["b"].id, world["c"].id
    outcomes = pair_outcomes(NOW - timedelta(weeks=3), {a})
    assert outcomes == {(a, b): "projekt", (a, c): "angezeigt"}
    assert pair_outcomes(NOW, {a}) == {}  # nothing since now
    assert pair_outcomes(NOW - timedelta(weeks=3), set()) == {}


def test_coordinator_sees_table_chart_and_csv_with_counts_only(world, client, login):
    login(world["coordinator"])
    netzwerk = world["netzwerk"]
    page = client.get(f"/auswertung/netzwerk/{netzwerk.id}?wochen=4")
    assert page.status_code == 200
    html = page.text
    assert "<svg" in html and 'role="img"' in html and "<title" in html
    assert "Vorschläge angezeigt" in html and "Gemeinsame Projekte" in html
    for name in ("Aldenhoven", "Kreuzau", "Nideggen"):
        assert name not in html  # counts only, no Kommune named
    csv = client.get(f"/auswertung/netzwerk/{netzwerk.id}/trichter.csv?wochen=4")
    assert csv.status_code == 200 and csv.headers["Content-Type"].startswith("text/csv")
    lines = csv.data.decode("utf-8-sig").splitlines()
    assert lines[0] == "kalenderwoche;angezeigt;angefragt;angenommen;partnerschaft;projekt"
    assert len(lines) == 5 and lines[-1].startswith("2026-W") and lines[-1].count(";") == 5
    kreis_page = client.get("/auswertung/kreis/05358")
    assert kreis_page.status_code == 200 and "Kreis Düren" in kreis_page.text
    index = client.get("/auswertung/")
    assert "kdvz" in index.text and "Kreis Düren" in index.text
    assert client.get("/auswertung/land/05").status_code == 403


def test_administrators_see_how_far_each_suggested_pair_got(world, client, login):
    admin = UserFactory(is_admin=True)
    db.session.commit()
    login(admin)
    page = client.get("/auswertung/kreis/05358/paare?wochen=8")
    assert page.status_code == 200
    rows = [r for r in page.text.split("<tr>") if "<td>" in r]
    # A was shown B (then asked, accepted, a partnership, a project) and C (nothing more)
    assert any("Aldenhoven" in r and "Kreuzau" in r and "Gemeinsame Projekte" in r for r in rows), rows
    assert any("Aldenhoven" in r and "Nideggen" in r and "Vorschläge angezeigt" in r for r in rows), rows
    assert not any("Freiburg" in r for r in rows)  # outside the Kreis
    # a coordinator sees counts only: 403 here (the authorisation matrix holds it for every role)
