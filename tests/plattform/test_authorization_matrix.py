"""Authorisation matrix: every route × anonymous / member of A / member of B / coordinator / admin.

Each cell names the expected answer: a status code, "login" (redirect to the login form) or "done"
(a redirect after a POST). Three checks run on every request of every role:

- the answer is the one in the table;
- a refusal (403, 404, 400, 422, "login") leaves every table of the database exactly as it was;
- no page shows private data of B (officer contacts before any partnership, requests B received,
  B's suggestions and proposals, B's invitation link, B's pending membership request, the
  coordinator pages of a network the role does not coordinate) to a role that may not see it.

The account pages are tested in tests/plattform/accounts/test_authorization.py (its own matrix); its
page table is walked here as well for the leak check, and its routes count towards the coverage check
below, which fails as soon as a blueprint gains a route without a row.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from matching.vocabulary import GOALS, TOPIC_SLUGS
from plattform.config import OidcProvider
from plattform.digest.services import confirm_token, request_subscription, unsubscribe_token
from plattform.extensions import db
from plattform.kontakte.services import send_request
from plattform.netzwerke.models import NetzwerkEinladung
from plattform.netzwerke.services import add_member, create_netzwerk
from plattform.projekte.models import ProjectProposal, ProjectProposalMember, SharedProjectMember
from plattform.projekte.services import propose_project
from tests import services
from tests.factories import KommuneFactory, MembershipFactory, UserFactory
from tests.plattform.accounts import test_authorization as accounts_matrix
from tests.plattform.kontakte.helpers import seed_suggestions

ROLES = ("anonym", "mitglied_a", "mitglied_b", "koordination", "admin")
ACCOUNTS_ROLES = dict(zip(ROLES, accounts_matrix.ROLES, strict=True))

# Private data of B (or of a network the coordinator does not run) and the roles that may see it.
B_EMAIL, B_PHONE = "geheim.b@aldenhoven.example", "02464 99 88 77"
C_TO_B_MESSAGE = "Vertraulich: Nideggen fragt Aldenhoven nach dem Haushaltsentwurf"
B_SUGGESTION = (
    "Beispielstadt kann von Dorfen im Thema „Hundesteuer digital“ lernen"  # rendered from its facts
)
B_PROPOSAL = "Vorschlag nur für Beispielstadt und Dorfen: gemeinsame E-Akte"
B_INVITE_TOKEN = "einladung-fuer-beispielstadt-nur-ihre-beauftragten-01"
B_APPLICANT = "paula.wartend@beispielstadt.example"
N2_INVITE_EMAIL = "einladung.c@zweites-netz.example"
N2_COORDINATOR = "nora@zweites-netz.example"
SECRETS = {
    B_EMAIL: {"mitglied_b", "admin"},  # the administration lists every account
    B_PHONE: {"mitglied_b"},
    C_TO_B_MESSAGE: {"mitglied_b"},
    B_SUGGESTION: {"mitglied_b"},
    B_PROPOSAL: {"mitglied_b", "koordination", "admin"},  # the Kreis coordination sees B's proposals
    B_INVITE_TOKEN: {"mitglied_b"},
    B_APPLICANT: {"koordination", "admin"},  # those who decide the request
    N2_INVITE_EMAIL: {"admin"},
    N2_COORDINATOR: {"admin"},
}

# Unchanged after a refusal: the database must look exactly as before the request.
REFUSALS = {400, 403, 404, 405, 422, "login"}


@pytest.fixture
def app_config(app_config):
    """One identity provider, configured but not reachable (nothing listens on its port)."""
    provider = OidcProvider(
        key="KDVZ",
        issuer=f"http://127.0.0.1:{services.free_port()}",
        client_id="kommunalmatch",
        client_secret="geheim",
        name="kdvz",
        domains=("kdvz.example",),
    )
    return {**app_config, "OIDC_PROVIDERS": (provider,)}


@dataclass
class Matrix:
    ids: dict
    users: dict


@dataclass(frozen=True)
class Upload:
    """A file field of a multipart form: a CSV of profiles for the given AGS."""

    ags: str
    name: str = "profile.csv"

    def file(self, ids: dict):
        content = f"ags;ziel_1\n{_fill(self.ags, ids)};effizienz\n".encode()
        return (io.BytesIO(content), self.name)


@pytest.fixture
def matrix(app):
    kreis = KommuneFactory(ags="05999", ebene="kreis", kind="kreis", name="Kreis Muster", population=None)
    anders = KommuneFactory(ags="05888", ebene="kreis", kind="kreis", name="Kreis Anders", population=None)
    a = KommuneFactory(name="Anfangsdorf", kreis=kreis, ags="05999001", lat=50.80, lon=6.50)
    b = KommuneFactory(name="Beispielstadt", kreis=kreis, ags="05999002", lat=50.85, lon=6.45)
    c = KommuneFactory(name="Cdorf", kreis=kreis, ags="05999003", lat=50.70, lon=6.40)
    d = KommuneFactory(name="Dorfen", kreis=kreis, ags="05999004", lat=50.75, lon=6.42)
    e = KommuneFactory(name="Elsdorf", kreis=anders, ags="05888001", lat=50.90, lon=6.60)
    member_a = UserFactory(name="Anja A", email="anja@anfangsdorf.example", telefon="0111 1")
    member_b = UserFactory(name="Bodo B", email=B_EMAIL, telefon=B_PHONE)
    member_c = UserFactory(name="Carla C", email="carla@cdorf.example")
    member_d = UserFactory(name="Dieter D", email="dieter@dorfen.example")
    coordinator = UserFactory(name="Kurt Koordinator", email="kurt@kreis-muster.example")
    n2_coordinator = UserFactory(name="Nora Zwei", email=N2_COORDINATOR)
    admin = UserFactory(name="Adele Admin", email="adele@kommunalmatch.example", is_admin=True)
    applicant = UserFactory(name="Paula Wartend", email=B_APPLICANT)
    MembershipFactory(user=member_a, kommune=a)
    MembershipFactory(user=member_b, kommune=b)
    MembershipFactory(user=member_c, kommune=c)
    MembershipFactory(user=member_d, kommune=d)
    MembershipFactory(user=coordinator, kommune=kreis, role="koordination")
    MembershipFactory(user=applicant, kommune=b, status="beantragt")
    db.session.flush()
    req_ab = send_request(member_a, a.id, b.id, "Anfangsdorf fragt Beispielstadt")
    req_cb = send_request(member_c, c.id, b.id, C_TO_B_MESSAGE)
    # Networks: N1 run by the coordinator (A and C; B invited), N2 run by someone else (B and D).
    n1 = create_netzwerk("Muster-Netz", "frei", kreis=None, coordinators=[coordinator])
    add_member(n1, a)
    add_member(n1, c)
    invite_b = NetzwerkEinladung(kommune_id=b.id, token=B_INVITE_TOKEN)
    n1.einladungen.append(invite_b)
    n2 = create_netzwerk("Zweites Netz", "zweckverband", coordinators=[n2_coordinator])
    add_member(n2, b)
    add_member(n2, d)
    invite_c = NetzwerkEinladung(kommune_id=c.id, email=N2_INVITE_EMAIL, token="einladung-n2-an-cdorf")
    n2.einladungen.append(invite_c)
    # Projects: A leads one with C; B leads three with D (status, hand-over, closing each their own).
    p_a = propose_project(a, TOPIC_SLUGS[0], "Projekt von Anfangsdorf")
    p_a.members.append(SharedProjectMember(kommune_id=c.id, status="beigetreten"))
    p_b, p_b2, p_b3 = (propose_project(b, TOPIC_SLUGS[1], f"Projekt {n} von Beispielstadt") for n in "123")
    for project in (p_b, p_b2, p_b3):
        project.members.append(SharedProjectMember(kommune_id=d.id, status="beigetreten"))
    proposal_b = ProjectProposal(
        thema=TOPIC_SLUGS[2], lead_kommune_id=b.id, explanation_de=B_PROPOSAL, span_km=8.0, score=0.9
    )
    proposal_b.entries = [ProjectProposalMember(kommune_id=k.id, rolle="mitglied") for k in (b, d)]
    db.session.add(proposal_b)
    subscription_b = request_subscription(member_b)
    db.session.flush()
    ids = {
        "a_id": a.id,
        "b_id": b.id,
        "c_id": c.id,
        "d_id": d.id,
        "a_ags": a.ags,
        "b_ags": b.ags,
        "d_ags": d.ags,
        "e_ags": e.ags,
        "req_ab": req_ab.id,
        "req_cb": req_cb.id,
        "n1": n1.id,
        "n2": n2.id,
        "inv_b": invite_b.id,
        "inv_n2": invite_c.id,
        "tok_b": B_INVITE_TOKEN,
        "p_a": p_a.id,
        "p_b": p_b.id,
        "p_b2": p_b2.id,
        "p_b3": p_b3.id,
        "vor_b": proposal_b.id,
        "digest_b": confirm_token(subscription_b),
        "abmelden_b": unsubscribe_token(member_b.id),
        "user_b": member_b.id,
        "job_k": _finished_import(coordinator),
    }
    db.session.commit()
    # Dorfen, not Cdorf: Cdorf has asked Beispielstadt already, so it is "im Gespräch", not suggested
    seed_suggestions(b, [{"partner": d, "teaches_me": ["hundesteuer-digital"], "distance_km": 18.0}])
    users = {
        "anonym": None,
        "mitglied_a": member_a,
        "mitglied_b": member_b,
        "koordination": coordinator,
        "admin": admin,
    }
    return Matrix(ids, users)


def _finished_import(user) -> int:
    """A finished profile import of this user (its result page is the user's alone)."""
    from plattform.profile.models import ProfileImport

    job = ProfileImport(user_id=user.id, file_name="m.csv", status="fertig", result={"new": []})
    db.session.add(job)
    db.session.flush()
    return job.id


L = "login"
D = "done"
GOAL_FORM = {"ziel_1": GOALS[0], "ziel_2": GOALS[1], "ziel_3": GOALS[2]}

# (method, url, form data, expected per role in ROLES order). Reads first, then changes; the rows of one
# role run in this order in one session, so a change only touches rows further down that expect it.
CASES = [
    # --- core, kommunen, suche: public
    ("GET", "/", None, (200, 200, 200, 200, 200)),
    ("GET", "/health", None, (200, 200, 200, 200, 200)),
    ("GET", "/datenschutz", None, (200, 200, 200, 200, 200)),
    ("GET", "/impressum", None, (200, 200, 200, 200, 200)),
    ("GET", "/sprache/de?zurueck=/kommunen/", None, (302, 302, 302, 302, 302)),
    ("GET", "/konto/anmelden", None, (200, 302, 302, 302, 302)),
    # --- uebersicht: the personal start page after login
    ("GET", "/uebersicht/", None, (L, 200, 200, 200, 200)),
    ("GET", "/kommunen/", None, (200, 200, 200, 200, 200)),
    ("GET", "/kommunen/{a_ags}", None, (200, 200, 200, 200, 200)),
    ("GET", "/kommunen/{b_ags}", None, (200, 200, 200, 200, 200)),
    ("GET", "/kommunen/00000000", None, (404, 404, 404, 404, 404)),
    ("GET", "/suche/", None, (200, 200, 200, 200, 200)),
    ("GET", "/suche/?max_km=50&kreis=05999", None, (200, 200, 200, 200, 200)),
    # --- kontakte, vorschlaege: reads
    ("GET", "/kontakte/", None, (L, 200, 200, 200, 403)),
    ("GET", "/kontakte/?kommune={a_id}", None, (L, 200, 403, 403, 403)),
    ("GET", "/kontakte/?kommune={b_id}", None, (L, 403, 200, 403, 403)),
    ("GET", "/kontakte/anfrage/neu/{b_ags}", None, (L, 200, 200, 200, 403)),
    ("GET", "/kontakte/anfrage/neu/00000000", None, (L, 404, 404, 404, 403)),
    ("GET", "/kontakte/anfrage/{req_ab}", None, (L, 200, 200, 404, 404)),
    ("GET", "/kontakte/anfrage/{req_cb}", None, (L, 404, 200, 404, 404)),
    ("GET", "/kontakte/anfrage/999999", None, (L, 404, 404, 404, 404)),
    ("GET", "/vorschlaege/", None, (L, 200, 200, 200, 403)),
    ("GET", "/vorschlaege/?kommune={a_id}", None, (L, 200, 403, 403, 403)),
    ("GET", "/vorschlaege/?kommune={b_id}", None, (L, 403, 200, 403, 403)),
    ("GET", "/vorschlaege/karte", None, (L, 200, 200, 200, 403)),
    ("GET", "/vorschlaege/karte?kommune={a_id}", None, (L, 200, 403, 403, 403)),
    ("GET", "/vorschlaege/karte?kommune={b_id}", None, (L, 403, 200, 403, 403)),
    ("GET", "/vorschlaege/stand", None, (L, 200, 200, 200, 403)),
    ("GET", "/vorschlaege/stand?kommune={a_id}", None, (L, 200, 403, 403, 403)),
    ("GET", "/vorschlaege/stand?kommune={b_id}", None, (L, 403, 200, 403, 403)),
    # --- profile: reads
    ("GET", "/profil/typtest", None, (200, 200, 200, 200, 200)),
    ("GET", "/profil/typtest?ags={b_ags}", None, (200, 200, 200, 200, 200)),
    ("GET", "/profil/typtest/ergebnis?ziel=effizienz&ags={b_ags}", None, (200, 200, 200, 200, 200)),
    ("GET", "/profil/{a_ags}/bearbeiten", None, (403, 200, 403, 200, 200)),
    ("GET", "/profil/{b_ags}/bearbeiten", None, (403, 403, 200, 200, 200)),
    ("GET", "/profil/{e_ags}/bearbeiten", None, (403, 403, 403, 403, 200)),
    ("GET", "/profil/00000000/bearbeiten", None, (404, 404, 404, 404, 404)),
    ("GET", "/profil/import", None, (L, 403, 403, 200, 200)),
    ("GET", "/profil/vorlage.xlsx", None, (200, 200, 200, 200, 200)),
    ("GET", "/profil/export.csv", None, (L, 403, 403, 200, 200)),
    ("GET", "/profil/export.pdf", None, (L, 404, 404, 404, 404)),
    ("GET", "/profil/export.json", None, (L, 403, 403, 200, 200)),
    ("GET", "/profil/import/{job_k}", None, (L, 404, 404, 200, 404)),
    ("GET", "/profil/import/{job_k}/stand.json", None, (L, 404, 404, 200, 404)),
    # --- projekte: reads
    ("GET", "/projekte/", None, (200, 200, 200, 200, 200)),
    ("GET", "/projekte/{p_b}", None, (200, 200, 200, 200, 200)),
    ("GET", "/projekte/999999", None, (404, 404, 404, 404, 404)),
    ("GET", "/projekte/neu", None, (L, 200, 200, 200, 403)),
    ("GET", "/projekte/{p_b}/federfuehrung", None, (L, 403, 200, 403, 200)),
    ("GET", "/projekte/{p_b}/einladen", None, (L, 403, 200, 403, 200)),
    ("GET", "/projekte/{p_b}/abschliessen", None, (L, 403, 200, 403, 200)),
    ("GET", "/projekte/999999/abschliessen", None, (L, 404, 404, 404, 404)),
    ("GET", "/projekte/vorschlaege", None, (L, 200, 200, 200, 200)),
    # One proposal with its group on a map: its Kommunen, their coordination and administrators
    ("GET", "/projekte/vorschlaege/{vor_b}", None, (L, 404, 200, 200, 200)),
    ("GET", "/projekte/vorschlaege/999999", None, (L, 404, 404, 404, 404)),
    # Duplication per Kreis/Land: the Kreis coordination its Kreis, administrators every area
    ("GET", "/projekte/doppelarbeit", None, (L, 403, 403, 200, 200)),
    ("GET", "/projekte/doppelarbeit?ebene=kreis&gebiet=05999&sort=thema", None, (L, 403, 403, 200, 404)),
    ("GET", "/projekte/doppelarbeit?ebene=kreis&gebiet=05888", None, (L, 403, 403, 403, 404)),
    ("GET", "/projekte/doppelarbeit?ebene=land&gebiet=05", None, (L, 403, 403, 403, 404)),
    # Kooperationssteckbrief: only for the project's Kommunen, their coordination and administrators
    ("GET", "/projekte/{p_b}/steckbrief", None, (L, 404, 200, 200, 200)),
    ("GET", "/projekte/{p_a}/steckbrief", None, (L, 200, 404, 200, 200)),
    ("GET", "/projekte/{p_b}/steckbrief.pdf", None, (L, 404, 200, 200, 200)),
    ("GET", "/projekte/999999/steckbrief.pdf", None, (L, 404, 404, 404, 404)),
    ("GET", "/projekte/partnerschaft/999999/steckbrief", None, (L, 404, 404, 404, 404)),
    ("GET", "/projekte/partnerschaft/999999/steckbrief.pdf", None, (L, 404, 404, 404, 404)),
    # --- auswertung (funnel): coordinators their network and Kreis, administrators every group
    ("GET", "/auswertung/", None, (L, 403, 403, 200, 200)),
    ("GET", "/auswertung/netzwerk/{n1}", None, (L, 403, 403, 200, 200)),
    ("GET", "/auswertung/netzwerk/{n2}", None, (L, 403, 403, 403, 200)),
    ("GET", "/auswertung/netzwerk/999999", None, (L, 404, 404, 404, 404)),
    ("GET", "/auswertung/kreis/05999", None, (L, 403, 403, 200, 200)),
    ("GET", "/auswertung/kreis/05888", None, (L, 403, 403, 403, 200)),
    ("GET", "/auswertung/land/05", None, (L, 403, 403, 403, 200)),
    ("GET", "/auswertung/ort/05", None, (L, 404, 404, 404, 404)),
    ("GET", "/auswertung/netzwerk/{n1}/trichter.csv", None, (L, 403, 403, 200, 200)),
    ("GET", "/auswertung/kreis/05888/trichter.csv", None, (L, 403, 403, 403, 200)),
    ("GET", "/auswertung/kreis/05999/paare", None, (L, 403, 403, 403, 200)),
    ("GET", "/auswertung/land/05/paare", None, (L, 403, 403, 403, 200)),
    # --- netzwerke: reads; N1 is the coordinator's network, N2 someone else's
    ("GET", "/netzwerke/", None, (L, 200, 200, 200, 200)),
    ("GET", "/netzwerke/neu", None, (L, 403, 403, 200, 200)),
    # members read their own network (A is in N1, B in N2), read-only
    ("GET", "/netzwerke/{n1}", None, (L, 200, 403, 200, 200)),
    ("GET", "/netzwerke/{n2}", None, (L, 403, 200, 403, 200)),
    ("GET", "/netzwerke/999999", None, (L, 404, 404, 404, 404)),
    ("GET", "/netzwerke/{n1}/graph", None, (L, 200, 403, 200, 200)),
    ("GET", "/netzwerke/{n2}/graph", None, (L, 403, 200, 403, 200)),
    ("GET", "/netzwerke/{n1}/themen", None, (L, 200, 403, 200, 200)),
    ("GET", "/netzwerke/{n2}/themen", None, (L, 403, 200, 403, 200)),
    ("GET", "/netzwerke/{n1}/export/themen.csv", None, (L, 403, 403, 200, 200)),
    ("GET", "/netzwerke/{n1}/export/mitglieder.csv", None, (L, 403, 403, 200, 200)),
    ("GET", "/netzwerke/{n2}/export/mitglieder.csv", None, (L, 403, 403, 403, 200)),
    ("GET", "/netzwerke/{n2}/export/themen.csv", None, (L, 403, 403, 403, 200)),
    ("GET", "/netzwerke/{n2}/export/netzwerk.xlsx", None, (L, 403, 403, 403, 200)),
    ("GET", "/netzwerke/{n2}/export/netzwerk.graphml", None, (L, 403, 403, 403, 200)),
    ("GET", "/netzwerke/einladung/{tok_b}", None, (L, 200, 200, 200, 200)),
    ("GET", "/netzwerke/einladung/unbekannt", None, (L, 404, 404, 404, 404)),
    # --- digest: reads
    ("GET", "/digest/einstellungen", None, (L, 200, 200, 200, 200)),
    ("GET", "/digest/vorschau", None, (L, 200, 200, 200, 200)),
    ("GET", "/digest/bestaetigen/ungueltig", None, (400, 400, 400, 400, 400)),
    ("GET", "/digest/bestaetigen/{digest_b}", None, (200, 200, 200, 200, 200)),
    ("GET", "/digest/abmelden/ungueltig", None, (400, 400, 400, 400, 400)),
    ("GET", "/digest/abmelden/{abmelden_b}", None, (200, 200, 200, 200, 200)),
    # --- accounts: sign-in through an identity provider (configured, but unreachable here: the
    # flow itself is tested against a real provider in tests/plattform/accounts/test_oidc.py)
    ("GET", "/konto/oidc/kdvz/anmelden", None, (502, 302, 302, 302, 302)),
    ("GET", "/konto/oidc/kdvz/anmelden?erneut=1", None, (302, 502, 502, 502, 502)),
    ("GET", "/konto/oidc/unbekannt/anmelden", None, (404, 404, 404, 404, 404)),
    ("GET", "/konto/oidc/kdvz/rueckkehr?code=c&state=s", None, (502, 502, 502, 502, 502)),
    ("GET", "/konto/oidc/unbekannt/rueckkehr?code=c&state=s", None, (404, 404, 404, 404, 404)),
    ("GET", "/konto/oidc/kdvz/abgemeldet?state=s", None, (302, 302, 302, 302, 302)),
    ("GET", "/konto/oidc/verknuepfen", None, (302, 302, 302, 302, 302)),
    ("GET", "/konto/oidc/verknuepfen/ungueltig", None, (400, 400, 400, 400, 400)),
    ("GET", "/konto/oidc/konto-anlegen", None, (302, 302, 302, 302, 302)),
    ("GET", "/konto/oidc/abbrechen", None, (302, 302, 302, 302, 302)),
    ("GET", "/konto/oidc/abmeldung", None, (302, 302, 302, 302, 302)),
    ("POST", "/konto/oidc/verknuepfen", {"password": "falsch-falsch"}, (D, D, D, D, D)),
    ("POST", "/konto/oidc/verknuepfen/mail", None, (D, D, D, D, D)),
    ("POST", "/konto/oidc/konto-anlegen", {"name": "Eve", "privacy": "y"}, (D, D, D, D, D)),
    # --- accounts: token links and forms the accounts matrix does not post to
    ("GET", "/konto/bestaetigen/ungueltig", None, (400, 400, 400, 400, 400)),
    ("GET", "/konto/email-bestaetigen/ungueltig", None, (400, 400, 400, 400, 400)),
    ("GET", "/konto/passwort-neu/ungueltig", None, (400, 400, 400, 400, 400)),
    ("POST", "/konto/passwort-neu/ungueltig", {"password": "x"}, (400, 400, 400, 400, 400)),
    ("POST", "/konto/anmelden", {"email": B_EMAIL, "password": "falsch-falsch"}, (422, D, D, D, D)),
    ("POST", "/konto/registrieren", {"email": B_EMAIL}, (422, D, D, D, D)),
    ("POST", "/konto/bestaetigung-senden", {"email": B_EMAIL}, (D, D, D, D, D)),
    ("POST", "/konto/passwort-vergessen", {"email": "niemand@example.de"}, (D, D, D, D, D)),
    ("POST", "/konto/erneut-anmelden", {"password": "falsch-falsch"}, (L, 422, 422, 422, 422)),
    ("POST", "/konto/passwort", {"current_password": "falsch-falsch"}, (L, 422, 422, 422, 422)),
    ("POST", "/konto/email", {"new_email": "neu@example.de"}, (L, D, D, D, D)),
    ("POST", "/konto/loeschen", {"password": "falsch-falsch"}, (L, 422, 422, 422, 422)),
    ("POST", "/konto/sprache", {"locale": "de"}, (L, D, D, D, D)),
    # --- kontakte, vorschlaege: changes
    (
        "POST",
        "/kontakte/anfrage/neu/{d_ags}",
        {"absender": "{b_id}", "nachricht": "Ich bin B"},
        (L, 403, D, 403, 403),
    ),
    (
        "POST",
        "/kontakte/anfrage/neu/{d_ags}",
        {"absender": "{a_id}", "nachricht": "Ich bin A"},
        (L, D, 403, 403, 403),
    ),
    ("POST", "/kontakte/anfrage/{req_ab}/annehmen", None, (L, 403, D, 404, 404)),
    ("POST", "/kontakte/anfrage/{req_ab}/ablehnen", None, (L, 403, D, 404, 404)),
    ("POST", "/kontakte/anfrage/{req_ab}/zurueckziehen", None, (L, D, 403, 404, 404)),
    ("POST", "/kontakte/anfrage/{req_cb}/annehmen", None, (L, 404, D, 404, 404)),
    ("POST", "/kontakte/anfrage/{req_cb}/ablehnen", None, (L, 404, D, 404, 404)),
    ("POST", "/kontakte/anfrage/{req_cb}/zurueckziehen", None, (L, 404, 403, 404, 404)),
    ("POST", "/vorschlaege/{b_id}/nicht-interessiert/{c_id}", None, (L, 403, D, 403, 403)),
    ("POST", "/vorschlaege/{a_id}/nicht-interessiert/{c_id}", None, (L, D, 403, 403, 403)),
    ("POST", "/vorschlaege/{a_id}/nicht-interessiert/999999", None, (L, 404, 403, 403, 403)),
    ("POST", "/vorschlaege/{b_id}/wieder-anzeigen/999999", None, (L, 403, 404, 403, 403)),
    # --- profile: changes (anonymous visitors may take the test, but save nothing)
    ("POST", "/profil/typtest", GOAL_FORM, (D, D, D, D, D)),
    ("POST", "/profil/typtest", GOAL_FORM | {"kommune": "{b_ags}"}, (403, 403, D, D, D)),
    ("POST", "/profil/typtest", GOAL_FORM | {"kommune": "{e_ags}"}, (403, 403, 403, 403, D)),
    ("POST", "/profil/{b_ags}/bearbeiten", {"reichweite_km": "30"}, (403, 403, D, D, D)),
    ("POST", "/profil/{e_ags}/bearbeiten", {"reichweite_km": "30"}, (403, 403, 403, 403, D)),
    ("POST", "/profil/import", {"datei": Upload("{b_ags}")}, (L, 403, 403, D, D)),
    ("POST", "/profil/import", {"datei": Upload("{e_ags}")}, (L, 403, 403, 422, D)),
    # --- projekte: changes
    (
        "POST",
        "/projekte/neu",
        {"kommune_id": "{b_id}", "thema": TOPIC_SLUGS[3], "titel": "T"},
        (L, 422, D, 422, 403),
    ),
    ("POST", "/projekte/{p_b}/status", {"status": "aktiv"}, (L, 403, D, 403, D)),
    ("POST", "/projekte/{p_b}/einladen", {"ags": "{e_ags}"}, (L, 403, D, 403, D)),
    ("POST", "/projekte/{p_b2}/federfuehrung", {"new_lead_id": "{d_id}"}, (L, 403, D, 403, D)),
    ("POST", "/projekte/{p_b3}/abschliessen", {"ergebnis": "Fertig"}, (L, 403, D, 403, D)),
    ("POST", "/projekte/{p_b}/beitreten", {"beitreten-kommune_id": "{a_id}"}, (L, D, 403, 403, 403)),
    ("POST", "/projekte/{p_a}/verlassen", {"verlassen-kommune_id": "{c_id}"}, (L, 403, 403, 403, 403)),
    ("POST", "/projekte/vorschlaege/{vor_b}/anlegen", None, (L, 403, D, D, D)),
    # --- netzwerke: changes
    (
        "POST",
        "/netzwerke/neu",
        {"name": "Kreisnetz", "art": "kreis", "kreis_ags": "05999"},
        (L, 403, 403, D, D),
    ),
    (
        "POST",
        "/netzwerke/neu",
        {"name": "Fremd", "art": "kreis", "kreis_ags": "05888"},
        (L, 403, 403, 422, D),
    ),
    ("POST", "/netzwerke/{n2}/einladen", {"einladen-ags": "{a_ags}"}, (L, 403, 403, 403, D)),
    ("POST", "/netzwerke/{n1}/einladen", {"einladen-ags": "{d_ags}"}, (L, 403, 403, D, D)),
    ("GET", "/netzwerke/{n1}/mitglieder/{c_id}/entfernen", None, (L, 403, 403, 200, 200)),
    ("GET", "/netzwerke/{n2}/mitglieder/{d_id}/entfernen", None, (L, 403, 403, 403, 200)),
    ("POST", "/netzwerke/{n1}/mitglieder/{c_id}/wiederaufnehmen", None, (L, 403, 403, D, D)),
    ("POST", "/netzwerke/{n2}/mitglieder/{d_id}/wiederaufnehmen", None, (L, 403, 403, 403, D)),
    ("POST", "/netzwerke/{n2}/mitglieder/{d_id}/entfernen", None, (L, 403, 403, 403, D)),
    ("POST", "/netzwerke/{n1}/mitglieder/{c_id}/entfernen", None, (L, 403, 403, D, D)),
    ("POST", "/netzwerke/{n1}/einladungen/{inv_n2}/zurueckziehen", None, (L, 403, 403, 404, 404)),
    ("POST", "/netzwerke/{n2}/einladungen/{inv_n2}/zurueckziehen", None, (L, 403, 403, 403, D)),
    ("POST", "/netzwerke/{n1}/import", {"import-datei": Upload("{b_ags}")}, (L, 403, 403, 422, 422)),
    ("POST", "/netzwerke/{n2}/import", {"import-datei": Upload("{b_ags}")}, (L, 403, 403, 403, D)),
    (
        "POST",
        "/netzwerke/{n2}/koordination",
        {"koordination-email": "anja@anfangsdorf.example"},
        (L, 403, 403, 403, D),
    ),
    (
        "POST",
        "/netzwerke/{n1}/koordination",
        {"koordination-email": "anja@anfangsdorf.example"},
        (L, 403, 403, 403, D),
    ),
    ("POST", "/netzwerke/{n2}/vorschlaege-berechnen", None, (L, 403, 403, 403, D)),
    ("POST", "/netzwerke/einladung/{tok_b}", {"kommune_id": "{a_id}"}, (L, 403, 200, 403, 403)),
    ("POST", "/netzwerke/einladung/{tok_b}", {"kommune_id": "{b_id}"}, (L, 403, D, 403, 403)),
    # --- digest: changes (the signed links act for their one user, with or without a session)
    ("POST", "/digest/bestaetigen/ungueltig", None, (400, 400, 400, 400, 400)),
    ("POST", "/digest/abmelden/ungueltig", None, (400, 400, 400, 400, 400)),
    ("POST", "/digest/einstellungen", {"aktion": "bestellen", "einwilligung": "y"}, (L, D, D, D, D)),
    ("POST", "/digest/einstellungen", {"aktion": "abbestellen"}, (L, D, D, D, D)),
    # B's own order and cancellation above made B's older confirmation link void.
    ("POST", "/digest/bestaetigen/{digest_b}", None, (200, 200, 400, 200, 200)),
    ("POST", "/digest/abmelden/{abmelden_b}", None, (200, 200, 200, 200, 200)),
]

CASES.append(("POST", "/konto/abmelden", None, (L, D, D, D, D)))  # last: ends the session

# Every blueprint but the JSON API (tested with its own fuzzing and matrix).
COVERED_BLUEPRINTS = (
    "core",
    "kommunen",
    "accounts",
    "verwaltung",
    "profile",
    "kontakte",
    "vorschlaege",
    "suche",
    "projekte",
    "netzwerke",
    "digest",
    "auswertung",
    "uebersicht",
)

# Routes whose rows live in the accounts matrix (tests/plattform/accounts/test_authorization.py):
# its page table, and the POSTs of its tests test_deciding_a_request_*, test_granting_administration
# test_ending_someone_elses_sessions and test_requesting_membership_acts_only_for_oneself.
ACCOUNTS_MATRIX_ROUTES = [("GET", path) for path in accounts_matrix.PAGES] + [
    ("POST", "/freigaben/1"),
    ("POST", "/verwaltung/1/admin"),
    ("POST", "/verwaltung/1/sitzungen-beenden"),
    ("POST", "/konto/kommune-beantragen/05162004"),
]
# Pages of the accounts matrix walked here too (for the leak check); its own world has other AGS.
ACCOUNTS_PAGES = [path for path in accounts_matrix.PAGES if "ags=" not in path]


def _fill(template: str, ids: dict) -> str:
    return template.format(**ids)


def _outcome(response) -> object:
    """The answer in the matrix' terms: "login", "done" or the status code."""
    location = response.headers.get("Location", "")
    if response.status_code in (302, 303) and location.startswith("/konto/anmelden?next="):
        return "login"
    if response.status_code in (302, 303) and response.request.method == "POST":
        return "done"
    return response.status_code


def database_state() -> dict:
    """Every row of every table, to compare before and after a refused request."""
    state = {}
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            state[table.name] = sorted(map(repr, conn.execute(sa.select(table)).all()))
    return state


def _changed_tables(before: dict, after: dict) -> list[str]:
    return [name for name in before if before[name] != after[name]]


def _leaks(role: str, path: str, text: str) -> list[str]:
    return [
        f"{path}: {secret}" for secret, allowed in SECRETS.items() if role not in allowed and secret in text
    ]


def _walk(role: str):
    """The requests of one role: the accounts matrix' pages (reads) first, then CASES."""
    for path in ACCOUNTS_PAGES:
        yield "GET", path, None, accounts_matrix.PAGES[path][ACCOUNTS_ROLES[role]]
    for method, url, data, expected in CASES:
        yield method, url, data, expected[ROLES.index(role)]


@pytest.mark.parametrize("role", ROLES)
def test_every_route_answers_each_role_as_expected(client, login, matrix, role):
    """One session per role walks all cases in order (reads first, then changes, logout last)."""
    user = matrix.users[role]
    if user is not None:
        login(user)
    mismatches, leaks, changed = [], [], []
    for method, url, data, want in _walk(role):
        path = _fill(url, matrix.ids)
        before = database_state()
        if method == "GET":
            response = client.get(path)
        else:
            form = {
                k: v.file(matrix.ids) if isinstance(v, Upload) else _fill(v, matrix.ids)
                for k, v in (data or {}).items()
            }
            response = client.post(path, data=form)
        got = _outcome(response)
        if got != want:
            mismatches.append(f"{method} {path}: erwartet {want}, erhalten {got}")
        if got in REFUSALS:
            tables = _changed_tables(before, database_state())
            if tables:
                changed.append(f"{method} {path} ({got}) änderte {tables}")
        if response.status_code == 200 and not response.is_streamed:
            leaks += _leaks(role, path, response.get_data(as_text=True))
    assert not mismatches, "\n".join(mismatches)
    assert not changed, "Abgewiesene Anfragen haben die Datenbank verändert:\n" + "\n".join(changed)
    assert not leaks, f"{role} sieht private Daten:\n" + "\n".join(leaks)


def test_the_secrets_are_shown_to_those_who_may_see_them(client, login, matrix):
    """The leak check above can fail: B's own pages really show what is hidden from the others."""
    login(matrix.users["mitglied_b"])
    ids = matrix.ids
    pages = {
        f"/kontakte/anfrage/{ids['req_cb']}": C_TO_B_MESSAGE,
        "/vorschlaege/": B_SUGGESTION,
        "/digest/vorschau": B_SUGGESTION,
        "/projekte/vorschlaege": B_PROPOSAL,
        f"/kommunen/{ids['b_ags']}": B_INVITE_TOKEN,
        "/konto/": B_EMAIL,
    }
    missing = [path for path, secret in pages.items() if secret not in client.get(path).text]
    assert missing == []


# The JSON API and its token pages carry their own authorisation tests (tests/plattform/api:
# test_endpoints.py, test_fuzz.py with an authorisation check, test_tokens.py for the token pages).
OWN_AUTHORISATION_TESTS = {"api", "api_tokens"}


def test_matrix_covers_every_route_of_the_covered_blueprints(app):
    assert set(COVERED_BLUEPRINTS) == set(app.blueprints) - OWN_AUTHORISATION_TESTS
    covered = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.split(".")[0] in COVERED_BLUEPRINTS
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    adapter = app.url_map.bind("localhost")
    sample = dict.fromkeys(("a_id", "b_id", "c_id", "d_id", "req_ab", "req_cb", "n1", "n2"), 1)
    sample |= dict.fromkeys(("inv_b", "inv_n2", "p_a", "p_b", "p_b2", "p_b3", "vor_b", "user_b", "job_k"), 1)
    sample |= dict.fromkeys(("a_ags", "b_ags", "d_ags", "e_ags"), "05999001")
    sample |= dict.fromkeys(("tok_b", "digest_b", "abmelden_b"), "token")
    rows = [(method, _fill(url, sample)) for method, url, _data, _expected in CASES]
    tested = set()
    for method, path in rows + ACCOUNTS_MATRIX_ROUTES:
        rule, _args = adapter.match(path.split("?")[0], method=method, return_rule=True)
        tested.add((method, rule.rule))
    assert sorted(covered - tested) == []


def test_posts_without_csrf_token_are_refused(client, login, matrix, app):
    login(matrix.users["mitglied_b"])
    app.config["WTF_CSRF_ENABLED"] = True
    ids = matrix.ids
    before = database_state()
    for path in (
        f"/kontakte/anfrage/{ids['req_ab']}/annehmen",
        f"/vorschlaege/{ids['b_id']}/nicht-interessiert/{ids['c_id']}",
        f"/kontakte/anfrage/neu/{ids['a_ags']}",
        f"/profil/{ids['b_ags']}/bearbeiten",
        f"/projekte/{ids['p_b']}/status",
        f"/netzwerke/einladung/{ids['tok_b']}",
        "/digest/einstellungen",
        "/konto/sprache",
    ):
        response = client.post(
            path, data={"absender": ids["b_id"], "kommune_id": ids["b_id"], "status": "aktiv"}
        )
        assert response.status_code == 400, path
    assert _changed_tables(before, database_state()) == []
