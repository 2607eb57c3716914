"""Network membership reaches the matching engine: members of one network share a network code."""

from __future__ import annotations

from plattform.extensions import db
from plattform.netzwerke.models import Netzwerk, NetzwerkMitglied
from plattform.vorschlaege.services import build_match_input
from tests.factories import KommuneFactory


def test_members_of_one_network_share_a_network_in_the_engine_input(app):
    a, b, c = KommuneFactory(), KommuneFactory(), KommuneFactory()
    netzwerk = Netzwerk(name="kdvz", art="zweckverband")
    db.session.add(netzwerk)
    db.session.flush()
    db.session.add_all([NetzwerkMitglied(netzwerk_id=netzwerk.id, kommune_id=k.id) for k in (a, b)])
    db.session.commit()
    ctx = build_match_input()
    networks = ctx.inp.networks
    row = ctx.row_of
    assert set(networks[row[a.id]]) == set(networks[row[b.id]]) != set()
    assert len(networks[row[c.id]]) == 0
