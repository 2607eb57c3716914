"""Contact request pages: the request form, the incoming/outgoing lists, answering and withdrawing."""

from __future__ import annotations

import logging

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from plattform.accounts.permissions import acting_kommune_ids, can_act_for
from plattform.core.actions import commit_action
from plattform.core.navigation import register_nav
from plattform.core.tasks import enqueue
from plattform.extensions import db, limiter
from plattform.kommunen.models import Kommune
from plattform.kommunen.sections import register_kommune_section
from plattform.kommunen.services import get_by_ags, kommunen_by_name
from plattform.kontakte import bp
from plattform.kontakte.forms import ContactRequestForm
from plattform.kontakte.models import ContactRequest
from plattform.kontakte.services import (
    ContactError,
    answer_request,
    contact_people,
    get_request_for,
    may_see_contacts,
    partners_of,
    requests_of,
    send_request,
    withdraw_request,
)

log = logging.getLogger(__name__)
# Per client address: a busy officer sends a handful a day; a script sending hundreds is stopped.
REQUEST_LIMIT = "20 per hour; 50 per day"


def acting_kommunen() -> list[Kommune]:
    """The Kommunen the current user acts for, by name (the selector's options)."""
    ids = acting_kommune_ids(current_user)
    if not ids:
        return []
    return kommunen_by_name(ids)


def selected_kommune(kommunen: list[Kommune]) -> Kommune:
    """The Kommune chosen with ?kommune=ID among those the user acts for: 403 for any other id."""
    if not kommunen:
        abort(403)
    wanted = request.args.get("kommune", type=int)
    if wanted is None:
        return kommunen[0]
    for kommune in kommunen:
        if kommune.id == wanted:
            return kommune
    abort(403)


def _queue_notice(request_id: int, event: str) -> None:
    """Hand the e-mail to the worker; a broken queue must not undo the request that was saved."""
    from plattform.kontakte.tasks import notify_task

    enqueue(notify_task, request_id, event)  # the request is stored; the notice is best effort


def _has_membership() -> bool:
    """Navigation: show the entry only to users who act for a Kommune."""
    return bool(current_user.is_authenticated and acting_kommune_ids(current_user))


register_nav("kontakte.anfragen", "Anfragen", 25, visible=_has_membership)


@bp.get("/")
@login_required
def anfragen():
    """Incoming and outgoing requests and the partnerships of one of the user's Kommunen."""
    kommunen = acting_kommunen()
    kommune = selected_kommune(kommunen)
    incoming, outgoing = requests_of(kommune.id)
    partners = [(p, contact_people(p.id)) for p in partners_of(kommune.id)]
    return render_template(
        "kontakte/anfragen.html",
        kommunen=kommunen,
        kommune=kommune,
        incoming=incoming,
        outgoing=outgoing,
        partners=partners,
    )


@bp.route("/anfrage/neu/<ags>", methods=["GET", "POST"])
@limiter.limit(REQUEST_LIMIT, methods=["POST"])
@login_required
def neu(ags: str):
    """Write a contact request to the Kommune with this AGS, in the name of one's own Kommune."""
    kommunen = acting_kommunen()
    if not kommunen:
        abort(403)
    target = get_by_ags(ags)
    if target is None or not target.active:
        abort(404)
    form = ContactRequestForm()
    form.absender.choices = [SelectChoice(k.id, k.name) for k in kommunen]
    if request.method == "GET":
        preferred = request.args.get("von", type=int)
        others = [k.id for k in kommunen if k.id != target.id]
        form.absender.data = preferred if preferred in {k.id for k in kommunen} else (others or [None])[0]
    if form.validate_on_submit():
        if not can_act_for(current_user, form.absender.data):
            abort(403)
        try:
            req = send_request(current_user, form.absender.data, target.id, form.nachricht.data)
        except ContactError as exc:
            db.session.rollback()
            form.absender.errors.append(str(exc))
        else:
            db.session.commit()
            _queue_notice(req.id, "gesendet")
            flash(_("Ihre Anfrage an %(name)s wurde gesendet.", name=target.name), "success")
            return redirect(url_for("kontakte.anfragen", kommune=req.from_kommune_id))
    status = 422 if request.method == "POST" else 200
    return render_template("kontakte/neu.html", form=form, target=target), status


def _load(request_id: int) -> ContactRequest:
    """The request, or 404 when it does not exist or the user is on neither side."""
    req = get_request_for(current_user, request_id)
    if req is None:
        abort(404)
    return req


@bp.get("/anfrage/<int:request_id>")
@login_required
def detail(request_id: int):
    """One request with its message; after acceptance, the other side's contact details."""
    req = _load(request_id)
    acting = acting_kommune_ids(current_user)
    incoming = req.to_kommune_id in acting
    other = req.from_kommune if incoming else req.to_kommune
    contacts = contact_people(other.id) if may_see_contacts(current_user, other.id) else None
    return render_template(
        "kontakte/detail.html",
        req=req,
        incoming=incoming,
        other=other,
        contacts=contacts,
        fit=_why_the_pair_fits(other, req.to_kommune if incoming else req.from_kommune),
    )


def _why_the_pair_fits(other: Kommune, me: Kommune) -> dict:
    """Why the two fit, from the reader's side (the recipient decides knowing what it would gain)."""
    from plattform.vorschlaege.explain import details, fit, reason
    from plattform.vorschlaege.services import pair_facts

    facts = pair_facts(me, other)
    return {
        "me": me,
        "fit": fit(facts),
        "reason": reason(facts, me.display_name, other.display_name),
        "details": details(facts, me.display_name, other.display_name, (me.population, other.population)),
    }


def _answer(request_id: int, accept: bool):
    """Accept or decline an incoming request (only the receiving side may)."""
    req = _load(request_id)
    if not can_act_for(current_user, req.to_kommune_id):
        abort(403)
    try:
        answer_request(req, current_user, accept)
    except ContactError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        _queue_notice(req.id, "beantwortet")
        if accept:
            text = _(
                "Sie sind jetzt Lernpartner von %(name)s. Die Kontaktdaten sehen Sie unten.",
                name=req.from_kommune.name,
            )
            flash(text, "success")
        else:
            flash(_("Sie haben die Anfrage von %(name)s abgelehnt.", name=req.from_kommune.name), "success")
    return redirect(url_for("kontakte.detail", request_id=req.id))


@bp.post("/anfrage/<int:request_id>/annehmen")
@login_required
def annehmen(request_id: int):
    """Accept an incoming request: the pair becomes a partnership."""
    return _answer(request_id, accept=True)


@bp.post("/anfrage/<int:request_id>/ablehnen")
@login_required
def ablehnen(request_id: int):
    """Decline an incoming request: the pair is not suggested again."""
    return _answer(request_id, accept=False)


@bp.post("/anfrage/<int:request_id>/zurueckziehen")
@login_required
def zurueckziehen(request_id: int):
    """Withdraw an open outgoing request (only the sending side may)."""
    req = _load(request_id)
    if not can_act_for(current_user, req.from_kommune_id):
        abort(403)
    commit_action(
        lambda: withdraw_request(req, current_user),
        ContactError,
        _("Ihre Anfrage an %(name)s wurde zurückgezogen.", name=req.to_kommune.name),
    )
    return redirect(url_for("kontakte.anfragen", kommune=req.from_kommune_id))


def partnership_section(kommune: Kommune) -> dict | None:
    """The Kommune page's "Lernpartnerschaften": partner names for all, contacts for partners only."""
    partners = partners_of(kommune.id)
    acting = acting_kommune_ids(current_user)
    partner_ids = {p.id for p in partners}
    can_ask = bool(acting - {kommune.id}) and not (acting & partner_ids)
    if not partners and not can_ask:
        return None
    contacts = None
    if kommune.id not in acting and may_see_contacts(current_user, kommune.id):
        contacts = contact_people(kommune.id)
    return {"kommune": kommune, "partners": partners, "can_ask": can_ask, "contacts": contacts}


register_kommune_section("kontakte/_partnerschaften.html", partnership_section, 30)
