"""The endpoints of /api/v1. Thin: check who may, call the domain services, serialise.

Every rule (who may act for a Kommune, what a contact request or project allows) lives in the domains'
services and in plattform/accounts/permissions.py; the API never decides such a thing itself.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import sqlalchemy as sa
from flask import current_app, jsonify, render_template, request, url_for
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import BadRequest

from matching.profiles import ProfileFormatError, parse_profile
from matching.vocabulary import TOPIC_LABELS_DE
from plattform.accounts.permissions import acting_kommune_ids, can_act_for, can_edit_profile
from plattform.api import bp, serializers
from plattform.api.auth import (
    SAFE_METHODS,
    api_user,
    authenticate_request,
    current_token,
    require_token,
)
from plattform.api.openapi import AGS_PATTERN, SEARCH_MAX, body_errors, openapi_document
from plattform.api.pagination import page_of_list, page_of_query, paged_response, paging_from_request
from plattform.api.problems import PROBLEM_TYPES, ApiError, field_error, validation_error
from plattform.api.services import note_use
from plattform.core.routing import MAX_ID
from plattform.extensions import db
from plattform.kommunen.models import Kommune
from plattform.kommunen.services import get_by_ags, search_kommunen
from plattform.kontakte.models import REQUEST_STATUSES, ContactRequest
from plattform.kontakte.services import (
    ContactError,
    answer_request,
    contact_people,
    get_request_for,
    may_see_contacts,
    partners_of,
    send_request,
    withdraw_request,
)
from plattform.netzwerke.analysis import network_coverage, network_graph
from plattform.netzwerke.services import (
    coordinated_netzwerk_ids,
    get_netzwerk,
    is_coordinator,
    visible_networks,
)
from plattform.profile.services import get_profile, save_profile
from plattform.projekte.models import PROJECT_STATUSES as SHARED_PROJECT_STATUSES
from plattform.projekte.services import ProjectError, get_project, join_project, leave_project, list_projects
from plattform.vorschlaege.services import current_run, suggestion_items

log = logging.getLogger(__name__)

_AGS_RE = re.compile(AGS_PATTERN)
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")


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


def _query_text(name: str, errors: list[dict], *, pattern: str | None = None, max_len: int = SEARCH_MAX):
    """An optional query parameter; wrong form goes to errors."""
    raw = request.args.get(name)
    if raw is None:
        return None
    if len(raw) > max_len:
        errors.append(field_error(name, f"{name} darf höchstens {max_len} Zeichen lang sein."))
    elif _CONTROL_RE.search(raw):
        errors.append(field_error(name, f"{name} enthält Steuerzeichen."))
    elif pattern is not None and not re.fullmatch(pattern, raw):
        errors.append(field_error(name, f"{name} hat nicht die erwartete Form."))
    return raw


def _query_choice(name: str, allowed, errors: list[dict]):
    """An optional query parameter from a fixed list."""
    raw = request.args.get(name)
    if raw is not None and raw not in allowed:
        errors.append(field_error(name, f"{name} muss einer dieser Werte sein: {', '.join(allowed)}."))
        return None
    return raw


def _json_body(schema_name: str) -> Any:
    """The JSON body, checked against the schema of the OpenAPI description (German messages)."""
    if not request.is_json:
        raise ApiError(415)
    try:
        data = request.get_json(force=True, silent=False)
        # Lone surrogates pass json.loads but cannot be stored.
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except BadRequest:
        raise ApiError(400, "Der Inhalt ist kein gültiges JSON.") from None
    except (RecursionError, UnicodeEncodeError, ValueError):
        raise ApiError(
            400, "Der Inhalt ist kein verwendbares JSON (zu tief verschachtelt oder ungültige Zeichen)."
        ) from None
    if schema_name != "ProfileInput":
        errors = body_errors(schema_name, data)
        if errors:
            raise validation_error(errors)
    return data


def _notice(request_id: int, event: str) -> None:
    """Tell the other side by e-mail (best effort: a broken queue must not undo the saved change)."""
    from plattform.kontakte.tasks import notify_task

    try:
        notify_task.delay(request_id, event)
    except Exception:
        log.exception("Benachrichtigung nicht eingereiht / notice not queued: request %s", request_id)


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
    schemas = document["components"]["schemas"]
    return render_template(
        "api/docs.html",
        info=document["info"],
        groups=operations_by_tag(document),
        schemas=[(name, s.get("description", ""), schema_rows(s)) for name, s in schemas.items()],
        problem_types=sorted(PROBLEM_TYPES.items()),
        openapi_url=url_for("api.openapi_json"),
    )


@bp.get("/ich")
@require_token()
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
    return jsonify(
        {
            "user": {"id": user.id, "name": user.name},
            "token": {
                "name": token.name,
                "scope": token.scope,
                "expires_at": serializers.iso(token.expires_at),
            },
            "kommunen": [serializers.kommune_ref(k) for k in kommunen],
            "koordinierte_netzwerke": sorted(coordinated_netzwerk_ids(user)),
        }
    )


# --- Kommunen ---------------------------------------------------------------------------------------


@bp.get("/kommunen")
def kommunen():
    """Search the directory by name, AGS prefix or PLZ, filtered by Land and Kreis."""
    errors: list[dict] = []
    q = _query_text("q", errors) or ""
    land = _query_text("land", errors, pattern=r"[0-9]{2}")
    kreis = _query_text("kreis", errors, pattern=r"[0-9]{5}")
    paging = paging_from_request(errors)
    if errors:
        raise validation_error(errors)
    stmt = search_kommunen(q, land, kreis).options(selectinload(Kommune.kreis))
    rows, total = page_of_query(stmt, paging)
    return paged_response(rows, total, paging, serializers.kommune_summary)


@bp.get("/kommunen/<ags>")
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
    return jsonify(serializers.kommune_detail(k, gemeinden, partners_of(k.id), get_profile(k.id) is not None))


# --- profiles ---------------------------------------------------------------------------------------


@bp.get("/kommunen/<ags>/profil")
def profil(ags: str):
    """The public part of a Kommune's profile."""
    k = _kommune_or_404(ags)
    profile = get_profile(k.id)
    if profile is None:
        raise ApiError(404, f"{k.name} hat noch kein Profil.")
    return jsonify(serializers.profile_public(profile))


@bp.put("/kommunen/<ags>/profil")
@require_token("schreiben")
def profil_schreiben(ags: str):
    """Replace a Kommune's profile (DESIGN.md format), for those who may edit it."""
    k = _kommune_or_404(ags)
    user = api_user()
    if not can_edit_profile(user, k.id):
        raise ApiError(403, f"Sie dürfen das Profil von {k.name} nicht bearbeiten.")
    data = _json_body("ProfileInput")
    if isinstance(data, dict):
        _integral_levels(data)
        data.setdefault("ags", k.ags)
        if data["ags"] != k.ags:
            raise validation_error([field_error("ags", f"Der AGS muss zur Adresse passen ({k.ags}).")])
    try:
        parsed = parse_profile(data, record=k.ags)
    except ProfileFormatError as exc:
        raise validation_error([field_error(exc.field, exc.message_de)]) from None
    errors = body_errors("ProfileInput", data)
    if errors:
        raise validation_error(errors)
    save_profile(k, parsed, user_id=user.id)
    db.session.commit()
    return jsonify(serializers.profile_public(get_profile(k.id)))


def _integral_levels(data: dict) -> None:
    """JSON does not tell 2 from 2.0 (both are the integer 2 in JSON Schema); the profile format wants 2."""
    for key in ("staerken", "bedarfe"):
        levels = data.get(key)
        if isinstance(levels, dict):
            for slug, level in levels.items():
                if isinstance(level, float) and level.is_integer():
                    levels[slug] = int(level)


# --- suggestions ------------------------------------------------------------------------------------


@bp.get("/kommunen/<ags>/vorschlaege")
@require_token()
def vorschlaege(ags: str):
    """A Kommune's partner suggestions (fields as `matching show --json`), for those acting for it."""
    k = _kommune_or_404(ags)
    if not can_act_for(api_user(), k.id):
        raise ApiError(403, f"Sie handeln nicht für {k.name}.")
    paging = paging_from_request()
    items = suggestion_items(k.id)
    run = current_run()
    rows, total = page_of_list(items, paging)
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
    return paged_response(rows, total, paging, dict, extra)


# --- contact requests -------------------------------------------------------------------------------


def _request_json(req: ContactRequest, with_contacts: bool = True) -> dict:
    """A request; the other side's officers only once the two are partners."""
    contacts = None
    if with_contacts:
        user = api_user()
        acting = acting_kommune_ids(user)
        other = req.from_kommune if req.to_kommune_id in acting else req.to_kommune
        if may_see_contacts(user, other.id):
            contacts = contact_people(other.id)
    return serializers.contact_request(req, contacts)


@bp.get("/kontaktanfragen")
@require_token()
def kontaktanfragen():
    """Incoming and outgoing requests of the Kommunen the token's user acts for."""
    errors: list[dict] = []
    wanted = _query_text("kommune", errors, pattern=AGS_PATTERN.strip("^$"))
    richtung = _query_choice("richtung", ("eingehend", "ausgehend", "alle"), errors) or "alle"
    status = _query_choice("status", REQUEST_STATUSES, errors)
    paging = paging_from_request(errors)
    if errors:
        raise validation_error(errors)
    ids = acting_kommune_ids(api_user())
    if wanted is not None:
        k = get_by_ags(wanted)
        if k is None or k.id not in ids:
            raise ApiError(403, f"Sie handeln nicht für die Kommune {wanted}.")
        ids = {k.id}
    ids = ids or {-1}
    sides = []
    if richtung in ("eingehend", "alle"):
        sides.append(ContactRequest.to_kommune_id.in_(ids))
    if richtung in ("ausgehend", "alle"):
        sides.append(ContactRequest.from_kommune_id.in_(ids))
    stmt = sa.select(ContactRequest).where(sa.or_(*sides))
    if status:
        stmt = stmt.where(ContactRequest.status == status)
    stmt = stmt.order_by(ContactRequest.created_at.desc(), ContactRequest.id.desc())
    rows, total = page_of_query(stmt, paging)
    return paged_response(rows, total, paging, lambda r: _request_json(r, with_contacts=False))


@bp.post("/kontaktanfragen")
@require_token("schreiben")
def kontaktanfrage_senden():
    """Send a contact request in the name of one of the user's Kommunen."""
    data = _json_body("ContactRequestInput")
    von, an = get_by_ags(data["von"]), get_by_ags(data["an"])
    if von is None:
        raise validation_error([field_error("von", f"AGS {data['von']} ist nicht im Verzeichnis.")])
    user = api_user()
    if not can_act_for(user, von.id):
        raise ApiError(403, f"Sie handeln nicht für {von.name}.")
    if an is None or not an.active:
        raise validation_error([field_error("an", f"AGS {data['an']} ist nicht im Verzeichnis.")])
    if an.id == von.id:
        raise validation_error([field_error("an", "Eine Kommune kann sich nicht selbst anfragen.")])
    try:
        req = send_request(user, von.id, an.id, data.get("nachricht", ""))
    except ContactError as exc:
        db.session.rollback()
        raise ApiError(409, str(exc)) from None
    db.session.commit()
    _notice(req.id, "gesendet")
    response = jsonify(_request_json(req))
    response.status_code = 201
    response.headers["Location"] = url_for("api.kontaktanfrage", request_id=req.id)
    return response


def _own_request(request_id: int) -> ContactRequest:
    """The request if the user acts for one of its sides; 404 otherwise (its existence stays hidden)."""
    req = get_request_for(api_user(), request_id)
    if req is None:
        raise ApiError(404, "Diese Anfrage gibt es nicht, oder sie betrifft keine Ihrer Kommunen.")
    return req


@bp.get("/kontaktanfragen/<int:request_id>")
@require_token()
def kontaktanfrage(request_id: int):
    """One request; after acceptance with the other side's contact details."""
    return jsonify(_request_json(_own_request(request_id)))


def _answer(request_id: int, accept: bool):
    req = _own_request(request_id)
    if not can_act_for(api_user(), req.to_kommune_id):
        raise ApiError(403, "Nur die angefragte Kommune kann die Anfrage beantworten.")
    try:
        answer_request(req, api_user(), accept)
    except ContactError as exc:
        db.session.rollback()
        raise ApiError(409, str(exc)) from None
    db.session.commit()
    _notice(req.id, "beantwortet")
    return jsonify(_request_json(req))


@bp.post("/kontaktanfragen/<int:request_id>/annehmen")
@require_token("schreiben")
def kontaktanfrage_annehmen(request_id: int):
    """Accept an incoming request: the two Kommunen become partners."""
    return _answer(request_id, accept=True)


@bp.post("/kontaktanfragen/<int:request_id>/ablehnen")
@require_token("schreiben")
def kontaktanfrage_ablehnen(request_id: int):
    """Decline an incoming request: the pair is not suggested again."""
    return _answer(request_id, accept=False)


@bp.post("/kontaktanfragen/<int:request_id>/zurueckziehen")
@require_token("schreiben")
def kontaktanfrage_zurueckziehen(request_id: int):
    """Withdraw an open outgoing request."""
    req = _own_request(request_id)
    if not can_act_for(api_user(), req.from_kommune_id):
        raise ApiError(403, "Nur die anfragende Kommune kann die Anfrage zurückziehen.")
    try:
        withdraw_request(req, api_user())
    except ContactError as exc:
        db.session.rollback()
        raise ApiError(409, str(exc)) from None
    db.session.commit()
    return jsonify(_request_json(req))


# --- shared projects --------------------------------------------------------------------------------


@bp.get("/projekte")
def projekte():
    """All shared projects, newest first, optionally by status and topic."""
    errors: list[dict] = []
    status = _query_choice("status", SHARED_PROJECT_STATUSES, errors)
    thema = request.args.get("thema")
    if thema is not None and thema not in TOPIC_LABELS_DE:
        errors.append(field_error("thema", "Unbekanntes Thema."))
        thema = None
    paging = paging_from_request(errors)
    if errors:
        raise validation_error(errors)
    rows, total = page_of_list(list_projects(status, thema), paging)
    return paged_response(rows, total, paging, serializers.project)


def _project_or_404(project_id: int):
    project = get_project(project_id)
    if project is None:
        raise ApiError(404, "Dieses Projekt gibt es nicht.")
    return project


@bp.get("/projekte/<int:project_id>")
def projekt(project_id: int):
    """One shared project with lead and members."""
    return jsonify(serializers.project(_project_or_404(project_id)))


def _membership_change(project_id: int, change) -> Any:
    project = _project_or_404(project_id)
    data = _json_body("ProjectMembershipInput")
    kommune = get_by_ags(data["kommune"])
    if kommune is None:
        raise validation_error([field_error("kommune", f"AGS {data['kommune']} ist nicht im Verzeichnis.")])
    if not can_act_for(api_user(), kommune.id):
        raise ApiError(403, f"Sie handeln nicht für {kommune.name}.")
    try:
        change(project, kommune.id)
    except ProjectError as exc:
        db.session.rollback()
        raise ApiError(409, str(exc)) from None
    db.session.commit()
    return jsonify(serializers.project(_project_or_404(project_id)))


@bp.post("/projekte/<int:project_id>/beitreten")
@require_token("schreiben")
def projekt_beitreten(project_id: int):
    """Join a project (or accept an invitation) for one of the user's Kommunen."""
    return _membership_change(project_id, join_project)


@bp.post("/projekte/<int:project_id>/verlassen")
@require_token("schreiben")
def projekt_verlassen(project_id: int):
    """Leave a project (or decline an invitation) for one of the user's Kommunen."""
    return _membership_change(project_id, leave_project)


# --- networks ---------------------------------------------------------------------------------------


@bp.get("/netzwerke")
@require_token()
def netzwerke():
    """The networks the user's Kommunen belong to or the user coordinates."""
    paging = paging_from_request()
    user = api_user()
    coordinated = coordinated_netzwerk_ids(user)
    rows, total = page_of_list(visible_networks(user), paging)
    return paged_response(
        rows, total, paging, lambda n: serializers.network(n, user.is_admin or n.id in coordinated)
    )


def _coordinated_or_403(netzwerk_id: int):
    netzwerk = get_netzwerk(netzwerk_id)
    if netzwerk is None:
        raise ApiError(404, "Dieses Netzwerk gibt es nicht.")
    if not is_coordinator(api_user(), netzwerk):
        raise ApiError(403, "Nur die Koordination des Netzwerks sieht seinen Graphen und seine Abdeckung.")
    return netzwerk


@bp.get("/netzwerke/<int:netzwerk_id>/graph")
@require_token()
def netzwerk_graph(netzwerk_id: int):
    """The members' graph with density, components, isolated members, brokers and communities."""
    netzwerk = _coordinated_or_403(netzwerk_id)
    view = network_graph(netzwerk)
    return jsonify(
        {
            "netzwerk": {"id": netzwerk.id, "name": netzwerk.name},
            "nodes": view.json["nodes"],
            "links": view.json["links"],
            "analysis": view.analysis.to_json(),
        }
    )


@bp.get("/netzwerke/<int:netzwerk_id>/abdeckung")
@require_token()
def netzwerk_abdeckung(netzwerk_id: int):
    """Which topics the network can teach itself; needs nobody inside covers, with partners outside."""
    netzwerk = _coordinated_or_403(netzwerk_id)
    view = network_coverage(netzwerk)
    themen = []
    for slug in view.topics:
        themen.append(
            {
                "thema": slug,
                "bezeichnung": TOPIC_LABELS_DE.get(slug, slug),
                "koennen": [
                    {"ags": a, "stufe": view.strengths[a][slug]}
                    for a in view.coverage.teachers_by_topic.get(slug, [])
                ],
                "bedarf": [{"ags": a, "prioritaet": p} for a, p in view.needs_by_topic.get(slug, [])],
                "nicht_abgedeckt": list(view.coverage.uncovered_needs.get(slug, [])),
                "partner_aussen": [
                    {
                        "ags": o.ags,
                        "name": view.outside_kommunen[o.ags].name,
                        "stufe": o.level,
                        "distance_km": o.distance_km,
                    }
                    for o in view.outside.get(slug, [])
                ],
            }
        )
    return jsonify(
        {
            "netzwerk": {"id": netzwerk.id, "name": netzwerk.name},
            "mitglieder": len(view.members),
            "mit_profil": view.profiled,
            "themen": themen,
        }
    )
