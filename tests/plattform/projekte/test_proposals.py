"""Proposals from stored profiles: the ring scenario, exclusions, persistence, duplication, CLI JSON."""

from __future__ import annotations

import json

from plattform.extensions import db
from plattform.projekte.models import ProjectDuplication, ProjectProposal
from plattform.projekte.proposals import compute_proposals, proposals_for, recompute
from plattform.projekte.services import propose_project
from tests.plattform.projekte.scenarios import HUND, kommune_at, ring_scenario


def test_ring_with_one_experienced_kommune_gives_one_proposal_led_by_it(app):
    _, ring, experienced, far = ring_scenario()
    loaded, proposals = compute_proposals([HUND])
    assert len(proposals) == 1
    p = proposals[0]
    assert p.lead_ags == experienced.ags
    assert set(p.members) == {k.ags for k in ring}
    assert not {k.ags for k in far} & set(p.members)
    assert "Ringgemeinde 3 hat bereits ein laufendes Projekt" in p.explanation_de
    assert loaded.kommunen[p.lead_ags].id == experienced.id


def test_kommunen_already_in_a_shared_project_on_the_topic_are_left_out(app):
    _, ring, _experienced, _ = ring_scenario()
    propose_project(ring[0], HUND, "Hundesteuer gemeinsam")
    db.session.flush()
    _, proposals = compute_proposals([HUND])
    assert len(proposals) == 1
    assert ring[0].ags not in proposals[0].members
    assert len(proposals[0].members) == len(ring) - 1


def test_recompute_persists_proposals_and_kreis_duplication_and_replaces_the_old_run(app):
    kreis, ring, experienced, _ = ring_scenario()
    assert recompute()["proposals"] == 1
    assert recompute()["proposals"] == 1  # replaced, not appended
    rows = db.session.query(ProjectProposal).all()
    assert len(rows) == 1 and rows[0].lead_kommune_id == experienced.id
    assert {k.id for k in rows[0].member_kommunen} == {k.id for k in ring}
    assert [p.id for p in proposals_for({ring[0].id})] == [rows[0].id]
    dup = db.session.query(ProjectDuplication).filter_by(ebene="kreis", group_key=kreis.ags).one()
    assert dup.text_de == "8 Kommunen im Kreis Düren arbeiten getrennt an Hundesteuer digital"


def test_a_kommune_without_coordinates_does_not_break_the_run(app):
    ring_scenario()
    lonely = kommune_at("05358099", "Ohne Koordinaten", 0, 0, bedarfe={HUND: 1})
    lonely.lat = lonely.lon = None
    db.session.flush()
    _, proposals = compute_proposals([HUND])
    assert len(proposals) == 1 and lonely.ags not in proposals[0].members


def test_cli_suggest_json_is_one_json_document_with_the_design_fields(app, runner):
    _, ring, experienced, _ = ring_scenario()
    db.session.commit()
    result = runner.invoke(args=["projekte", "suggest", "--thema", HUND, "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert isinstance(document, list) and len(document) == 1
    entry = document[0]
    assert {"thema", "lead_ags", "members", "explanation_de"} <= set(entry)
    assert entry["thema"] == HUND and entry["lead_ags"] == experienced.ags
    assert sorted(entry["members"]) == sorted(k.ags for k in ring)


def test_cli_suggest_rejects_an_unknown_topic(app, runner):
    result = runner.invoke(args=["projekte", "suggest", "--thema", "hundesteuer", "--json"])
    assert result.exit_code != 0
    assert "Unbekanntes Thema" in result.output


def test_cli_text_output_names_the_lead(app, runner):
    ring_scenario()
    db.session.commit()
    result = runner.invoke(args=["projekte", "suggest"])
    assert result.exit_code == 0
    assert "Hundesteuer digital – Federführung: Ringgemeinde 3 (05358003)" in result.output
