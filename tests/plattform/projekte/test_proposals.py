"""Proposals from stored profiles: the ring scenario, exclusions, persistence, duplication, CLI JSON."""

from __future__ import annotations

import json

from plattform.extensions import db
from plattform.projekte.models import ProjectDuplication, ProjectProposal
from plattform.projekte.proposals import compute_proposals, proposals_for, recompute
from plattform.projekte.services import join_project, propose_project
from tests.factories import KommuneFactory
from tests.plattform.projekte.scenarios import HUND, kommune_at, open_project_scenario, ring_scenario


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
    project = propose_project(ring[0], HUND, "Hundesteuer gemeinsam")
    db.session.flush()
    _, proposals = compute_proposals([HUND])
    assert len(proposals) == 1
    assert ring[0].ags not in proposals[0].members
    assert len(proposals[0].members) == len(ring) - 1
    # The others all lie near the project: they are proposed to join it, not a group of their own.
    assert proposals[0].existing_project_id == project.id


def test_a_project_lead_without_a_profile_is_stored_as_the_lead_of_the_join_proposal(app):
    _, ring, _experienced, _ = ring_scenario()
    lead = KommuneFactory(ags="05358077", name="Ohne Profil", lat=ring[0].lat, lon=ring[0].lon)
    project = propose_project(lead, HUND, "Hundesteuer gemeinsam")
    join_project(project, ring[0].id)
    db.session.flush()
    assert recompute()["proposals"] == 1
    row = db.session.query(ProjectProposal).one()
    assert (row.shared_project_id, row.lead_kommune_id) == (project.id, lead.id)
    assert {k.id for k in row.member_kommunen} == {k.id for k in ring[1:]}


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
    assert entry["existing_project_id"] is None


def test_cli_suggest_json_carries_the_id_of_an_existing_project_to_join(app, runner):
    project, *_, cestadt, dorf, edorf = open_project_scenario()
    db.session.commit()
    result = runner.invoke(args=["projekte", "suggest", "--thema", HUND, "--json"])
    assert result.exit_code == 0, result.output
    [entry] = json.loads(result.stdout)
    assert entry["existing_project_id"] == project.id and entry["lead_ags"] == "05358001"
    assert entry["members"] == [cestadt.ags, dorf.ags, edorf.ags]
    text = runner.invoke(args=["projekte", "suggest", "--thema", HUND])
    assert f"Hundesteuer digital – bestehendes Projekt {project.id}" in text.output
    assert "Können beitreten (3): Cestadt, Dorf, Edorf" in text.output


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
