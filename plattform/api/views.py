"""The endpoints of /api/v1. Thin: check who may, call the domain services, serialise.

Every operation is declared once with ``@operation`` (plattform/api/spec.py): its query, body and
response models validate the request and the answer and make up the OpenAPI document. Every rule (who
may act for a Kommune, what a contact request or project allows) lives in the domains' services and in
plattform/accounts/permissions.py; the API never decides such a thing itself.
"""

from __future__ import annotations

import logging
import re

import sqlalchemy as sa
from flask import current_app, jsonify, render_template, request, url_for
from sqlalchemy.orm import selectinload

from matching.vocabulary import TOPIC_LABELS_DE
from plattform.accounts.permissions import acting_kommune_ids, can_act_for, can_edit_profile
from plattform.api import bp, schemas, serializers
from plattform.api.auth import SAFE_METHODS, api_user, authenticate_request, current_token
from plattform.api.pagination import page_of_list, page_of_query, paged
from plattform.api.problems import PROBLEM_TYPES, ApiError, field_error, validation_error
from plattform.api.services import note_use
from plattform.api.spec import openapi_document, operation, parse_profile_body
from plattform.core.routing import MAX_ID
from plattform.core.tasks import enqueue
from plattform.extensions import db
from plattform.kommunen.models import Kommune
from plattform.kommunen.services import get_by_ags, search_kommunen
from plattform.kontakte import services as kontakte
from plattform.kontakte.models import ContactRequest
from plattform.netzwerke.analysis import network_coverage, network_graph
from plattform.netzwerke.services import (
    coordinated_netzwerk_ids,
    get_netzwerk,
    is_coordinator,
    visible_networks,
)
from plattform.profile.services import get_profile, save_profile
from plattform.projekte.services import ProjectError, get_project, join_project, leave_project, list_projects
from plattform.vorschlaege.services import current_run, suggestion_items

log = logging.getLogger(__name__)

_AGS_RE = re.compile(r"^[0-9]{5}([0-9]{3})?$")
_DIRECTION_SIDES = {"incoming": ("to",), "outgoing": ("from",), "all": ("to", "from")}


# --- every request ---------------------------------------------------------------------------------


@bp.before_request
def _authenticate():
    """Token in, session cookie ignored; changing methods need a token; note the token's use."""
    request.max_content_length = current_app.config["API_MAX_BODY_BYTES"]
    token = authenticate_request()
    for name, value in (request.view_args or {}).items():
        # Ids are 32-bit in PostgreSQL; a larger one names nothing (and must not reach the database).
        if name.endswith("_id") and not 1 <= value <= MAX_ID:
            raise ApiError(404)
    if token is None and request.method not in SAFE_METHODS:
        raise ApiError(401)
    if token is not None and note_use(token):
        db.session.commit()


@bp.after_request
def _api_headers(response):
    """Answers differ by token; answers for a token are private and never cached."""
    response.vary.add("Authorization")
    if current_token() is not None:
        response.headers["Cache-Control"] = "no-store"
    return response


# --- helpers -----------------------------------------------------------------------------------------


def _kommune_or_404(ags: str) -> Kommune:
    """The Kommune with this AGS (active or historic), or 404."""
    kommune = get_by_ags(ags) if _AGS_RE.match(ags) else None
    if kommune is None:
        raise ApiError(404, f"Es gibt keine Kommune mit dem AGS {ags[:20]!r}.")
    return kommune


def _notice(request_id: int, event: str) -> None:
    """Tell the other side by e-mail (best effort: a broken queue must not undo the saved change)."""
    from plattform.kontakte.tasks import notify_task

    enqueue(notify_task, request_id, event)


# --- meta -------------------------------------------------------------------------------------------


@bp.get("/openapi.json")
def openapi_json():
    """The OpenAPI 3.1 description of this API (stable address)."""
    response = jsonify(openapi_document())
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/docs")
def docs():
    """The description as a plain HTML page (no JavaScript, nothing from elsewhere)."""
    from plattform.api.docs import operations_by_tag, schema_rows

    document = openapi_document()
    schemas_ = document["components"]["schemas"]
    return render_template(
        "api/docs.html",
        info=document["info"],
        groups=operations_by_tag(document),
        schemas=[(name, s.get("description", ""), schema_rows(s)) for name, s in schemas_.items()],
        problem_types=sorted(PROBLEM_TYPES.items()),
        openapi_url=url_for("api.openapi_json"),
    )


@operation(
    bp,
    "GET",
    "/ich",
    op_id="getMe",
    summary="Wer bin ich?",
    tag="Token",
    description="Zum Ausprobieren eines Tokens: Inhaber, Umfang, Kommunen, für die es handelt.",
    response=schemas.Me,
)
def me():
    """Who the token belongs to, its scope and the Kommunen it acts for."""
    token = current_token()
    user = token.user
    ids = acting_kommune_ids(user)
    kommunen = (
        db.session.scalars(sa.select(Kommune).where(Kommune.id.in_(ids)).order_by(Kommune.name_search)).all()
        if ids
        else []
    )
    return {
        "user": {"id": user.id, "name": user.name},
        "token": {"name": token.name, "scope": token.scope, "expires_at": serializers.iso(token.expires_at)},
        "kommunen": [serializers.kommune_ref(k) for k in kommunen],
        "coordinated_networks": sorted(coordinated_netzwerk_ids(user)),
    }


# --- Kommunen ---------------------------------------------------------------------------------------


@operation(
    bp,
    "GET",
    "/kommunen",
    op_id="searchKommunen",
    summary="Kommunen suchen",
    tag="Kommunen",
    public=True,
    description="Nach Name, AGS-Anfang oder PLZ; gefiltert nach Land und Kreis. Öffentlich.",
    query=schemas.KommunenQuery,
    response=schemas.KommunePage,
    paged=True,
)
def kommunen(query: schemas.KommunenQuery):
    """Search the directory by name, AGS prefix or PLZ, filtered by Land and Kreis."""
    stmt = search_kommunen(query.q, query.land, query.kreis).options(selectinload(Kommune.kreis))
    rows, total = page_of_query(stmt, query)
    return paged(rows, total, query, serializers.kommune_summary)


@operation(
    bp,
    "GET",
    "/kommunen/<ags>",
    op_id="getKommune",
    summary="Eine Kommune",
    tag="Kommunen",
    public=True,
    response=schemas.KommuneDetail,
    errors=(404,),
)
def kommune(ags: str):
    """One Kommune: facts, Kreis, its Gemeinden (for a Kreis) and its learning partners."""
    k = _kommune_or_404(ags)
    gemeinden: list[Kommune] = []
    if k.is_kreis:
        gemeinden = list(k.gemeinden) or list(
            db.session.scalars(
                sa.select(Kommune)
                .where(Kommune.ags.startswith(k.ags), Kommune.ebene == "gemeinde")
                .order_by(Kommune.name_search)
            )
        )
    return serializers.kommune_detail(k, gemeinden, kontakte.partners_of(k.id), get_profile(k.id) is not None)


# --- profiles ---------------------------------------------------------------------------------------


@operation(
    bp,
    "GET",
    "/kommunen/<ags>/profil",
    op_id="getProfile",
    summary="Profil einer Kommune lesen",
    tag="Profile",
    public=True,
    description="Der öffentliche Teil: Typ, Ziele, Stärken, Bedarfe, Projekte. 404 ohne Profil.",
    response=schemas.Profile,
    errors=(404,),
)
def profil(ags: str):
    """The public part of a Kommune's profile."""
    k = _kommune_or_404(ags)
    profile = get_profile(k.id)
    if profile is None:
        raise ApiError(404, f"{k.name} hat noch kein Profil.")
    return serializers.profile_public(profile)


@operation(
    bp,
    "PUT",
    "/kommunen/<ags>/profil",
    op_id="putProfile",
    summary="Profil einer Kommune schreiben",
    tag="Profile",
    scope="schreiben",
    description=(
        "Das Profildokument (ProfileData, wie GET unter profile liefert). Die genannten Felder ersetzen "
        "die gespeicherten, nicht genannte bleiben (wie beim Datei-Import). Nur für Kommunen, deren "
        "Profil Sie bearbeiten dürfen (Mitglieder, Koordination, Administration)."
    ),
    body=serializers.ProfileData,
    response=schemas.Profile,
    errors=(404,),
)
def profil_schreiben(ags: str, body):
    """Update a Kommune's profile (the fields the document names), for those who may edit it."""
    k = _kommune_or_404(ags)
    user = api_user()
    if not can_edit_profile(user, k.id):
        raise ApiError(403, f"Sie dürfen das Profil von {k.name} nicht bearbeiten.")
    if isinstance(body, dict):
        body = {"ags": k.ags, **body}
    parsed = parse_profile_body(body, record=k.ags)  # the model first: every problem of the document
    if parsed.ags != k.ags:
        raise validation_error(
            [field_error("ags", f"AGS {parsed.ags} passt nicht zur Adresse (Kommune {k.ags}).")]
        )
    save_profile(k, parsed, user_id=user.id, mentioned=serializers.mentioned_fields(body))
    db.session.commit()
    return serializers.profile_public(get_profile(k.id))


# --- suggestions ------------------------------------------------------------------------------------


@operation(
    bp,
    "GET",
    "/kommunen/<ags>/vorschlaege",
    op_id="getSuggestions",
    summary="Partnervorschläge einer Kommune",
    tag="Vorschläge",
    description="Nur für Kommunen, für die Sie handeln. Bestes zuerst.",
    query=schemas.Paging,
    response=schemas.SuggestionPage,
    paged=True,
    errors=(403, 404),
)
def vorschlaege(ags: str, query: schemas.Paging):
    """A Kommune's partner suggestions (fields as `matching show --json`), for those acting for it."""
    k = _kommune_or_404(ags)
    if not can_act_for(api_user(), k.id):
        raise ApiError(403, f"Sie handeln nicht für {k.name}.")
    rows, total = page_of_list(suggestion_items(k.id), query)
    run = current_run()
    extra = {
        "kommune": serializers.kommune_ref(k),
        "run": None
        if run is None
        else {
            "id": run.id,
            "finished_at": serializers.iso(run.finished_at),
            "size": run.size,
            "gini": run.gini,
        },
    }
    return paged(rows, total, query, serializers.suggestion, extra)


# --- contact requests -------------------------------------------------------------------------------


def _request_json(req: ContactRequest, with_contacts: bool = True) -> dict:
    """A request; the other side's officers only once the two are partners."""
    contacts = None
    if with_contacts:
        user = api_user()
        acting = acting_kommune_ids(user)
        other = req.from_kommune if req.to_kommune_id in acting else req.to_kommune
        if kontakte.may_see_contacts(user, other.id):
            contacts = kontakte.contact_people(other.id)
    return serializers.contact_request(req, contacts)


@operation(
    bp,
    "GET",
    "/kontaktanfragen",
    op_id="listContactRequests",
    summary="Kontaktanfragen Ihrer Kommunen",
    tag="Kontaktanfragen",
    description="Ein- und ausgehende Anfragen der Kommunen, für die Sie handeln; neueste zuerst.",
    query=schemas.ContactRequestQuery,
    response=schemas.ContactRequestPage,
    paged=True,
    errors=(403,),
)
def kontaktanfragen(query: schemas.ContactRequestQuery):
    """Incoming and outgoing requests of the Kommunen the token's user acts for."""
    ids = acting_kommune_ids(api_user())
    if query.kommune is not None:
        k = get_by_ags(query.kommune)
        if k is None or k.id not in ids:
            raise ApiError(403, f"Sie handeln nicht für die Kommune {query.kommune}.")
        ids = {k.id}
    ids = ids or {-1}
    columns = {"to": ContactRequest.to_kommune_id, "from": ContactRequest.from_kommune_id}
    sides = [columns[side].in_(ids) for side in _DIRECTION_SIDES[query.direction]]
    stmt = sa.select(ContactRequest).where(sa.or_(*sides))
    if query.status:
        stmt = stmt.where(ContactRequest.status == query.status)
    stmt = stmt.order_by(ContactRequest.created_at.desc(), ContactRequest.id.desc())
    rows, total = page_of_query(stmt, query)
    return paged(rows, total, query, lambda r: _request_json(r, with_contacts=False))


@operation(
    bp,
    "POST",
    "/kontaktanfragen",
    op_id="createContactRequest",
    summary="Kontaktanfrage senden",
    tag="Kontaktanfragen",
    scope="schreiben",
    description="Im Namen einer Ihrer Kommunen an eine andere.",
    body=schemas.ContactRequestInput,
    response=schemas.ContactRequest,
    status=201,
    errors=(409,),
    headers={"Location": {"schema": {"type": "string"}}},
)
def kontaktanfrage_senden(body: schemas.ContactRequestInput):
    """Send a contact request in the name of one of the user's Kommunen."""
    von, an = get_by_ags(body.from_kommune), get_by_ags(body.to_kommune)
    if von is None:
        raise validation_error(
            [field_error("from_kommune", f"AGS {body.from_kommune} ist nicht im Verzeichnis.")]
        )
    user = api_user()
    if not can_act_for(user, von.id):
        raise ApiError(403, f"Sie handeln nicht für {von.name}.")
    if an is None or not an.active:
        raise validation_error(
            [field_error("to_kommune", f"AGS {body.to_kommune} ist nicht im Verzeichnis.")]
        )
    if an.id == von.id:
        raise validation_error([field_error("to_kommune", "Eine Kommune kann sich nicht selbst anfragen.")])
    try:
        req = kontakte.send_request(user, von.id, an.id, body.message)
    except kontakte.ContactError as exc:
        db.session.rollback()
        raise ApiError(409, str(exc)) from None
    db.session.commit()
    _notice(req.id, "gesendet")
    return _request_json(req), {"Location": url_for("api.kontaktanfrage", request_id=req.id)}


def _own_request(request_id: int) -> ContactRequest:
    """The request if the user acts for one of its sides; 404 otherwise (its existence stays hidden)."""
    req = kontakte.get_request_for(api_user(), request_id)
    if req is None:
        raise ApiError(404, "Diese Anfrage gibt es nicht, oder sie betrifft keine Ihrer Kommunen.")
    return req


@operation(
    bp,
    "GET",
    "/kontaktanfragen/<int:request_id>",
    op_id="getContactRequest",
    summary="Eine Kontaktanfrage",
    tag="Kontaktanfragen",
    description="Nur wenn Sie für eine der beiden Seiten handeln (sonst 404).",
    response=schemas.ContactRequest,
    errors=(404,),
)
def kontaktanfrage(request_id: int):
    """One request; after acceptance with the other side's contact details."""
    return _request_json(_own_request(request_id))


# What accepting, declining and withdrawing a request share.
_CHANGE_REQUEST = {
    "tag": "Kontaktanfragen",
    "scope": "schreiben",
    "response": schemas.ContactRequest,
    "errors": (404, 409),
}


def _answer(request_id: int, accept: bool):
    req = _own_request(request_id)
    if not can_act_for(api_user(), req.to_kommune_id):
        raise ApiError(403, "Nur die angefragte Kommune kann die Anfrage beantworten.")
    try:
        kontakte.answer_request(req, api_user(), accept)
    except kontakte.ContactError as exc:
        db.session.rollback()
        raise ApiError(409, str(exc)) from None
    db.session.commit()
    _notice(req.id, "beantwortet")
    return _request_json(req)


@operation(
    bp,
    "POST",
    "/kontaktanfragen/<int:request_id>/annehmen",
    op_id="acceptContactRequest",
    summary="Kontaktanfrage annehmen",
    description="Nur die angefragte Seite; beide werden Lernpartner.",
    **_CHANGE_REQUEST,
)
def kontaktanfrage_annehmen(request_id: int):
    """Accept an incoming request: the two Kommunen become partners."""
    return _answer(request_id, accept=True)


@operation(
    bp,
    "POST",
    "/kontaktanfragen/<int:request_id>/ablehnen",
    op_id="declineContactRequest",
    summary="Kontaktanfrage ablehnen",
    description="Nur die angefragte Seite; das Paar wird nicht mehr vorgeschlagen.",
    **_CHANGE_REQUEST,
)
def kontaktanfrage_ablehnen(request_id: int):
    """Decline an incoming request: the pair is not suggested again."""
    return _answer(request_id, accept=False)


@operation(
    bp,
    "POST",
    "/kontaktanfragen/<int:request_id>/zurueckziehen",
    op_id="withdrawContactRequest",
    summary="Kontaktanfrage zurückziehen",
    description="Nur die anfragende Seite, solange die Anfrage offen ist.",
    **_CHANGE_REQUEST,
)
def kontaktanfrage_zurueckziehen(request_id: int):
    """Withdraw an open outgoing request."""
    req = _own_request(request_id)
    if not can_act_for(api_user(), req.from_kommune_id):
        raise ApiError(403, "Nur die anfragende Kommune kann die Anfrage zurückziehen.")
    try:
        kontakte.withdraw_request(req, api_user())
    except kontakte.ContactError as exc:
        db.session.rollback()
        raise ApiError(409, str(exc)) from None
    db.session.commit()
    return _request_json(req)


# --- shared projects --------------------------------------------------------------------------------


@operation(
    bp,
    "GET",
    "/projekte",
    op_id="listProjects",
    summary="Gemeinsame Projekte",
    tag="Projekte",
    public=True,
    description="Alle gemeinsamen Projekte, neueste zuerst. Öffentlich.",
    query=schemas.ProjectQuery,
    response=schemas.ProjectPage,
    paged=True,
)
def projekte(query: schemas.ProjectQuery):
    """All shared projects, newest first, optionally by status and topic."""
    rows, total = page_of_list(list_projects(query.status, query.topic), query)
    return paged(rows, total, query, serializers.project)


def _project_or_404(project_id: int):
    project = get_project(project_id)
    if project is None:
        raise ApiError(404, "Dieses Projekt gibt es nicht.")
    return project


@operation(
    bp,
    "GET",
    "/projekte/<int:project_id>",
    op_id="getProject",
    summary="Ein gemeinsames Projekt",
    tag="Projekte",
    public=True,
    response=schemas.Project,
    errors=(404,),
)
def projekt(project_id: int):
    """One shared project with lead and members."""
    return serializers.project(_project_or_404(project_id))


_MEMBERSHIP = {
    "tag": "Projekte",
    "scope": "schreiben",
    "body": schemas.ProjectMembershipInput,
    "response": schemas.Project,
    "errors": (404, 409),
}


def _membership_change(project_id: int, body: schemas.ProjectMembershipInput, change) -> dict:
    project = _project_or_404(project_id)
    kommune = get_by_ags(body.kommune)
    if kommune is None:
        raise validation_error([field_error("kommune", f"AGS {body.kommune} ist nicht im Verzeichnis.")])
    if not can_act_for(api_user(), kommune.id):
        raise ApiError(403, f"Sie handeln nicht für {kommune.name}.")
    try:
        change(project, kommune.id)
    except ProjectError as exc:
        db.session.rollback()
        raise ApiError(409, str(exc)) from None
    db.session.commit()
    return serializers.project(_project_or_404(project_id))


def _membership_operation(action: str, op_id: str, summary: str, description: str, change):
    """POST /projekte/{id}/<action> for one of the user's Kommunen (join or leave)."""

    def view(project_id: int, body: schemas.ProjectMembershipInput):
        return _membership_change(project_id, body, change)

    view.__name__ = f"projekt_{action}"
    view.__doc__ = summary
    return operation(
        bp,
        "POST",
        f"/projekte/<int:project_id>/{action}",
        op_id=op_id,
        summary=summary,
        description=description,
        **_MEMBERSHIP,
    )(view)


projekt_beitreten = _membership_operation(
    "beitreten",
    "joinProject",
    "Einem Projekt beitreten",
    "Für eine Ihrer Kommunen (nimmt auch eine Einladung an).",
    join_project,
)
projekt_verlassen = _membership_operation(
    "verlassen",
    "leaveProject",
    "Ein Projekt verlassen",
    "Für eine Ihrer Kommunen; die federführende Kommune übergibt vorher.",
    leave_project,
)


# --- networks ---------------------------------------------------------------------------------------


@operation(
    bp,
    "GET",
    "/netzwerke",
    op_id="listNetworks",
    summary="Ihre Netzwerke",
    tag="Netzwerke",
    description="Netzwerke, denen Ihre Kommunen angehören oder die Sie koordinieren.",
    query=schemas.Paging,
    response=schemas.NetworkPage,
    paged=True,
)
def netzwerke(query: schemas.Paging):
    """The networks the user's Kommunen belong to or the user coordinates."""
    user = api_user()
    coordinated = coordinated_netzwerk_ids(user)
    rows, total = page_of_list(visible_networks(user), query)
    return paged(rows, total, query, lambda n: serializers.network(n, user.is_admin or n.id in coordinated))


_ANALYSIS = {
    "tag": "Netzwerke",
    "description": "Nur für die Koordination des Netzwerks (und die Administration).",
    "errors": (403, 404),
}


def _coordinated_or_403(netzwerk_id: int):
    netzwerk = get_netzwerk(netzwerk_id)
    if netzwerk is None:
        raise ApiError(404, "Dieses Netzwerk gibt es nicht.")
    if not is_coordinator(api_user(), netzwerk):
        raise ApiError(403, "Nur die Koordination des Netzwerks sieht seinen Graphen und seine Abdeckung.")
    return netzwerk


@operation(
    bp,
    "GET",
    "/netzwerke/<int:netzwerk_id>/graph",
    op_id="getNetworkGraph",
    summary="Graph eines Netzwerks",
    response=schemas.NetworkGraph,
    **_ANALYSIS,
)
def netzwerk_graph(netzwerk_id: int):
    """The members' graph with density, components, isolated members, brokers and communities."""
    netzwerk = _coordinated_or_403(netzwerk_id)
    view = network_graph(netzwerk)
    return {
        "network": {"id": netzwerk.id, "name": netzwerk.name},
        "nodes": view.json["nodes"],
        "links": view.json["links"],
        "analysis": view.analysis.to_json(),
    }


@operation(
    bp,
    "GET",
    "/netzwerke/<int:netzwerk_id>/abdeckung",
    op_id="getNetworkCoverage",
    summary="Themenabdeckung eines Netzwerks",
    response=schemas.NetworkCoverage,
    **_ANALYSIS,
)
def netzwerk_abdeckung(netzwerk_id: int):
    """Which topics the network can teach itself; needs nobody inside covers, with partners outside."""
    netzwerk = _coordinated_or_403(netzwerk_id)
    view = network_coverage(netzwerk)
    topics = [
        {
            "topic": slug,
            "label": TOPIC_LABELS_DE.get(slug, slug),
            "teachers": [
                {"ags": a, "level": view.strengths[a][slug]}
                for a in view.coverage.teachers_by_topic.get(slug, [])
            ],
            "needs": [{"ags": a, "priority": p} for a, p in view.needs_by_topic.get(slug, [])],
            "uncovered": list(view.coverage.uncovered_needs.get(slug, [])),
            "outside_partners": [
                {
                    "ags": o.ags,
                    "name": view.outside_kommunen[o.ags].name,
                    "level": o.level,
                    "distance_km": o.distance_km,
                }
                for o in view.outside.get(slug, [])
            ],
        }
        for slug in view.topics
    ]
    return {
        "network": {"id": netzwerk.id, "name": netzwerk.name},
        "n_members": len(view.members),
        "n_with_profile": view.profiled,
        "topics": topics,
    }
