"""Network pages: list, create, coordinator overview (invite, import, remove), graph, topics, exports,
and the invitation page on which a Kommune's officer accepts."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

import sqlalchemy as sa
from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.utils import secure_filename

from plattform.accounts.permissions import (
    acting_kommune_ids,
    can_act_for,
    coordinated_kommune_ids,
    recent_login_required,
)
from plattform.accounts.services import get_user_by_email
from plattform.core import audit
from plattform.core.actions import commit_action
from plattform.core.exports import CSV_MIMETYPE, download
from plattform.core.ratelimit import INVITATION_LIMIT, account_or_address
from plattform.core.tasks import enqueue
from plattform.extensions import db, limiter
from plattform.i18n import TOPIC_LABELS
from plattform.kommunen.models import Kommune
from plattform.kommunen.services import get_by_ags
from plattform.netzwerke import bp
from plattform.netzwerke.analysis import (
    COVERAGE_COLUMNS,
    MEMBER_COLUMNS,
    coverage_rows,
    density_percent,
    duplication_rows,
    duplication_sort,
    graphml,
    member_rows,
    network_coverage,
    network_duplication,
    network_graph,
    network_proposals,
    to_csv,
    to_xlsx,
)
from plattform.netzwerke.forms import AcceptForm, CoordinatorForm, ImportForm, InviteForm, NetzwerkForm
from plattform.netzwerke.models import NetzwerkEinladung
from plattform.netzwerke.services import (
    NetzwerkError,
    accept_invitation,
    add_coordinator,
    create_netzwerk,
    decline_invitation,
    get_invitation,
    get_netzwerk,
    import_member_profiles,
    invite,
    is_coordinator,
    is_member_viewer,
    kreise_coordinated_by,
    member_kommunen,
    recently_removed,
    remove_member,
    restore_member,
    send_invitation_mail,
    visible_networks,
    withdraw_invitation,
)
from plattform.netzwerke.tasks import send_invitation
from plattform.profile.formats import FORMATS, ProfileImportError
from plattform.profile.uploads import check_upload, upload_limit_mb
from plattform.projekte.forms import KommuneChoiceForm
from plattform.projekte.models import ProjectProposal
from plattform.projekte.services import may_create_from
from plattform.projekte.tasks import recompute_proposals

log = logging.getLogger(__name__)


def _coordinated_or_403(netzwerk_id: int):
    """The network, if the current user coordinates it (or is an administrator); 404/403 otherwise."""
    netzwerk = get_netzwerk(netzwerk_id)
    if netzwerk is None:
        abort(404)
    if not is_coordinator(current_user, netzwerk):
        abort(403)
    return netzwerk


def _member_or_403(netzwerk_id: int):
    """The network and whether the user coordinates it; members of the network read it, others get 403."""
    netzwerk = get_netzwerk(netzwerk_id)
    if netzwerk is None:
        abort(404)
    if is_coordinator(current_user, netzwerk):
        return netzwerk, True
    if not is_member_viewer(current_user, netzwerk):
        abort(403)
    return netzwerk, False


@bp.get("/")
@login_required
def liste():
    """The networks the user coordinates or belongs to (administrators: all)."""
    networks = visible_networks(current_user)
    coordinated = {n.id for n in networks if is_coordinator(current_user, n)}
    may_create = current_user.is_admin or bool(kreise_coordinated_by(current_user))
    return render_template(
        "netzwerke/liste.html", networks=networks, coordinated=coordinated, may_create=may_create
    )


@bp.route("/neu", methods=["GET", "POST"])
@login_required
def neu():
    """Create a network: administrators any kind; a Kreis coordinator the network of its Kreis."""
    kreise = kreise_coordinated_by(current_user)
    if not current_user.is_admin and not kreise:
        abort(403)
    form = NetzwerkForm()
    if not current_user.is_admin:
        form.art.choices = [("kreis", _("Kreis"))]
    if request.method == "GET" and kreise and not form.kreis_ags.data:
        form.kreis_ags.data = kreise[0].ags
    if form.validate_on_submit():
        kreis = None
        if form.kreis_ags.data:
            kreis = get_by_ags(form.kreis_ags.data.strip())
            if kreis is None or not kreis.is_kreis:
                form.kreis_ags.errors = [_("Dieser Kreisschlüssel ist nicht im Gemeindeverzeichnis.")]
        if not current_user.is_admin and (kreis is None or kreis.id not in {k.id for k in kreise}):
            form.kreis_ags.errors = [_("Sie koordinieren diesen Kreis nicht.")]
        coordinators = [] if current_user.is_admin else [current_user]
        if form.koordination_email.data and not current_user.is_admin:
            # Coordination carries the right to approve memberships: only administrators hand it out.
            # The field is shown to administrators only; a crafted form is refused visibly.
            form.koordination_email.errors = [_("Weitere Koordination benennt die Administration.")]
            flash(form.koordination_email.errors[0], "error")
        elif form.koordination_email.data:
            user = get_user_by_email(form.koordination_email.data)
            if user is None:
                form.koordination_email.errors = [_("Zu dieser Adresse gibt es kein Konto.")]
            elif user not in coordinators:
                coordinators.append(user)
        if not form.errors:
            try:
                netzwerk = create_netzwerk(
                    form.name.data,
                    form.art.data,
                    form.beschreibung.data,
                    kreis=kreis,
                    coordinators=coordinators,
                    created_by=current_user,
                    add_kreis_gemeinden=bool(form.gemeinden.data and kreis is not None),
                )
                db.session.commit()
            except NetzwerkError as exc:
                db.session.rollback()
                form.name.errors = [str(exc)]
            else:
                flash(_("Das Netzwerk ist angelegt."), "success")
                return redirect(url_for("netzwerke.detail", netzwerk_id=netzwerk.id), 303)
    status = 422 if request.method == "POST" else 200
    return render_template("netzwerke/neu.html", form=form, kreise=kreise), status


def _render_detail(
    netzwerk, invite_form=None, import_form=None, coordinator_form=None, status=200, coordinates=True
):
    # Members read the network; invitations (addresses of people outside it) are the coordinators'.
    from plattform.kommunen.map import directory_points, group_map, kommune_points

    open_invitations = [e for e in netzwerk.einladungen if e.status == "offen"] if coordinates else []
    members = member_kommunen(netzwerk)
    return (
        render_template(
            "netzwerke/detail.html",
            netzwerk=netzwerk,
            members=members,
            member_map=group_map(points := kommune_points(members), directory_points(points)),
            open_invitations=open_invitations,
            invite_form=invite_form or InviteForm(prefix="einladen"),
            import_form=import_form or ImportForm(prefix="import"),
            coordinator_form=coordinator_form or CoordinatorForm(prefix="koordination"),
            formats=", ".join(FORMATS),
            max_mb=upload_limit_mb(),
            coordinates=coordinates,
            removed=recently_removed(netzwerk) if coordinates else [],
        ),
        status,
    )


def _queue_invitation(einladung: NetzwerkEinladung) -> None:
    """Hand the invitation mail to the worker; with the broker down, send it directly (it is saved)."""
    if enqueue(send_invitation, einladung.id):
        return
    try:
        send_invitation_mail(einladung)
    except OSError:  # smtplib errors are OSErrors; the open invitation stays listed on the page
        log.exception("Einladung %s nicht zugestellt (mail not delivered)", einladung.id)


@bp.get("/<int:netzwerk_id>")
@login_required
def detail(netzwerk_id: int):
    """The coordinator's overview (members, invitations, invite, import); members see it read-only."""
    netzwerk, coordinates = _member_or_403(netzwerk_id)
    return _render_detail(netzwerk, coordinates=coordinates)


@bp.post("/<int:netzwerk_id>/einladen")
@login_required
@limiter.limit(INVITATION_LIMIT, key_func=account_or_address)
def einladen(netzwerk_id: int):
    """Invite a Kommune by AGS and/or its officer by e-mail; errors shown next to the fields."""
    netzwerk = _coordinated_or_403(netzwerk_id)
    form = InviteForm(prefix="einladen")
    if form.validate_on_submit():
        try:
            einladung, member = invite(
                netzwerk, ags=form.ags.data, email=form.email.data, invited_by=current_user
            )
            db.session.commit()
        except NetzwerkError as exc:
            db.session.rollback()
            netzwerk = get_netzwerk(netzwerk_id)
            target = form.email if form.email.data and not form.ags.data else form.ags
            target.errors = [str(exc)]
        else:
            if member is not None:
                flash(_("%(name)s ist jetzt Mitglied des Netzwerks.", name=member.kommune.name), "success")
            else:
                if einladung.email:
                    _queue_invitation(einladung)
                who = einladung.kommune.name if einladung.kommune else einladung.email
                flash(
                    _(
                        "%(who)s ist eingeladen. Die Kommune tritt bei, sobald eine berechtigte Person "
                        "annimmt.",
                        who=who,
                    ),
                    "success",
                )
            return redirect(url_for("netzwerke.detail", netzwerk_id=netzwerk_id), 303)
    return _render_detail(netzwerk, invite_form=form, status=422)


def entfernen_bestaetigen(netzwerk_id: int, kommune_id: int):
    """Ask before removing a member (a page of its own: no JavaScript needed)."""
    netzwerk = _coordinated_or_403(netzwerk_id)
    member = next((m for m in netzwerk.mitglieder if m.kommune_id == kommune_id), None)
    if member is None:
        abort(404)
    return render_template("netzwerke/entfernen.html", netzwerk=netzwerk, kommune=member.kommune)


@bp.post("/<int:netzwerk_id>/mitglieder/<int:kommune_id>/wiederaufnehmen")
@login_required
def wiederaufnehmen(netzwerk_id: int, kommune_id: int):
    """Undo a removal (the audit log names the removed Kommune)."""
    netzwerk = _coordinated_or_403(netzwerk_id)

    def restore() -> Kommune:
        kommune = restore_member(netzwerk, kommune_id)
        audit.record("netzwerk.member_restored", target=netzwerk, details={"kommune_id": kommune_id})
        return kommune

    commit_action(
        restore,
        NetzwerkError,
        lambda kommune: _("%(name)s ist wieder Mitglied des Netzwerks.", name=kommune.name),
    )
    return redirect(url_for("netzwerke.detail", netzwerk_id=netzwerk_id), 303)


@bp.route("/<int:netzwerk_id>/mitglieder/<int:kommune_id>/entfernen", methods=["GET", "POST"])
@login_required
def entfernen(netzwerk_id: int, kommune_id: int):
    """GET: the confirmation page; POST: remove the member Kommune (undone from the overview). One
    rule for both, so an id beyond the integer range is a 404 for either method."""
    if request.method == "GET":
        return entfernen_bestaetigen(netzwerk_id, kommune_id)
    netzwerk = _coordinated_or_403(netzwerk_id)

    def remove() -> Kommune:
        kommune = remove_member(netzwerk, kommune_id)
        audit.record("netzwerk.member_removed", target=netzwerk, details={"kommune_id": kommune_id})
        return kommune

    commit_action(
        remove,
        NetzwerkError,
        lambda kommune: _("%(name)s ist nicht mehr Mitglied des Netzwerks.", name=kommune.name),
    )
    return redirect(url_for("netzwerke.detail", netzwerk_id=netzwerk_id), 303)


@bp.post("/<int:netzwerk_id>/einladungen/<int:einladung_id>/zurueckziehen")
@login_required
def zurueckziehen(netzwerk_id: int, einladung_id: int):
    """Withdraw an open invitation of this network."""
    netzwerk = _coordinated_or_403(netzwerk_id)
    einladung = db.session.get(NetzwerkEinladung, einladung_id)
    if einladung is None or einladung.netzwerk_id != netzwerk.id:
        abort(404)
    commit_action(
        lambda: withdraw_invitation(einladung, current_user),
        NetzwerkError,
        _("Die Einladung ist zurückgezogen."),
    )
    return redirect(url_for("netzwerke.detail", netzwerk_id=netzwerk_id), 303)


@bp.post("/<int:netzwerk_id>/import")
@login_required
def profil_import(netzwerk_id: int):
    """Import member profiles from a file, all or nothing, only for this network's members."""
    netzwerk = _coordinated_or_403(netzwerk_id)
    form = ImportForm(prefix="import")
    if form.validate_on_submit():
        checked = check_upload(form.datei.data)
        if isinstance(checked, str):
            form.datei.errors = [checked]
        else:
            with tempfile.TemporaryDirectory() as tmp:
                # Saved under its own (sanitised) name, so that error messages name the user's file.
                name = secure_filename(checked.name) or f"profile{checked.ext}"
                if Path(name).suffix.lower() != checked.ext:
                    name = f"profile{checked.ext}"
                path = Path(tmp) / name
                path.write_bytes(checked.content)
                try:
                    result = import_member_profiles(netzwerk, path, display_name=checked.name)
                except ProfileImportError as exc:
                    db.session.rollback()
                    form.datei.errors = [exc.text(_), _("Es wurde nichts importiert.")]
                else:
                    audit.record(
                        "profile.imported",
                        target=netzwerk,
                        details={"datei": name, "anzahl": result.written},
                    )
                    db.session.commit()
                    flash(result.summary(_), "success")
                    return redirect(url_for("netzwerke.detail", netzwerk_id=netzwerk_id), 303)
        netzwerk = get_netzwerk(netzwerk_id)
    return _render_detail(netzwerk, import_form=form, status=422)


@bp.post("/<int:netzwerk_id>/koordination")
@recent_login_required("netzwerke.liste")
def koordination(netzwerk_id: int):
    """Administrators name a further coordinator."""
    netzwerk = _coordinated_or_403(netzwerk_id)
    if not current_user.is_admin:
        abort(403)
    form = CoordinatorForm(prefix="koordination")
    if form.validate_on_submit():
        user = get_user_by_email(form.email.data)
        if user is None:
            form.email.errors = [_("Zu dieser Adresse gibt es kein Konto.")]
        else:
            try:
                add_coordinator(netzwerk, user)
                audit.record("netzwerk.coordinator_added", target=netzwerk, details={"user_id": user.id})
                db.session.commit()
            except NetzwerkError as exc:
                db.session.rollback()
                form.email.errors = [str(exc)]
            else:
                flash(_("%(name)s koordiniert jetzt dieses Netzwerk.", name=user.name), "success")
                return redirect(url_for("netzwerke.detail", netzwerk_id=netzwerk_id), 303)
    return _render_detail(get_netzwerk(netzwerk_id), coordinator_form=form, status=422)


@bp.get("/<int:netzwerk_id>/graph")
@login_required
def graph(netzwerk_id: int):
    """The members' graph with measures; the tables are the accessible equivalent of the drawing."""
    netzwerk, coordinates = _member_or_403(netzwerk_id)
    view = network_graph(netzwerk)
    return render_template(
        "netzwerke/graph.html",
        netzwerk=netzwerk,
        coordinates=coordinates,
        view=view,
        rows=member_rows(view),
        density=density_percent(view.analysis),
        topic_labels=TOPIC_LABELS,
    )


@bp.get("/<int:netzwerk_id>/themen")
@login_required
def themen(netzwerk_id: int):
    """Topic coverage matrix, uncovered needs with partners outside, duplication and proposals."""
    netzwerk, coordinates = _member_or_403(netzwerk_id)
    proposals = network_proposals(netzwerk)
    forms = {}
    mine = acting_kommune_ids(current_user)
    if not coordinates:
        # A proposal is private to its Kommunen and the coordination: members see only their own.
        proposals = [p for p in proposals if any(k.id in mine for k in p.member_kommunen)]
    coordinated = coordinated_kommune_ids(current_user)
    for p in proposals:
        if not may_create_from(p, is_admin=current_user.is_admin, acting=mine, coordinated=coordinated):
            continue
        form = KommuneChoiceForm(prefix=f"v{p.id}")
        creators = [k for k in p.member_kommunen if k.id in mine]
        form.kommune_id.choices = [(k.id, k.name) for k in creators]
        forms[p.id] = form
    computed = db.session.scalar(sa.select(sa.func.max(ProjectProposal.computed_at)))
    view = network_coverage(netzwerk)
    sort, descending = duplication_sort(request.args)
    return render_template(
        "netzwerke/themen.html",
        netzwerk=netzwerk,
        coordinates=coordinates,
        view=view,
        duplication=duplication_rows(network_duplication(netzwerk), view, sort, descending),
        sort=sort,
        descending=descending,
        proposals=proposals,
        forms=forms,
        computed=computed,
        topic_labels=TOPIC_LABELS,
    )


@bp.post("/<int:netzwerk_id>/vorschlaege-berechnen")
@login_required
def vorschlaege_berechnen(netzwerk_id: int):
    """Ask the worker to recompute the proposals now instead of waiting for the night."""
    _coordinated_or_403(netzwerk_id)
    # Not inline when the broker is down: the recompute covers every Kommune and would hold the request.
    if enqueue(recompute_proposals):
        flash(
            _("Die Vorschläge werden neu berechnet. Laden Sie die Seite in einigen Augenblicken neu."), "info"
        )
    else:
        flash(
            _(
                "Die Neuberechnung der Vorschläge konnte gerade nicht gestartet werden. "
                "Bitte versuchen Sie es später erneut."
            ),
            "warning",
        )
    return redirect(url_for("netzwerke.themen", netzwerk_id=netzwerk_id), 303)


def _record_export(netzwerk, what: str) -> None:
    """Exports of a network's data go to the audit log (issue 8: exports are sensitive actions)."""
    audit.record("netzwerk.exported", target=netzwerk, details={"export": what})
    db.session.commit()


def _download(data: bytes, filename: str, mimetype: str) -> Response:
    return download(data, filename, mimetype)


@bp.get("/<int:netzwerk_id>/export/mitglieder.csv")
@recent_login_required()
def export_mitglieder_csv(netzwerk_id: int):
    """Members with their graph measures as CSV."""
    netzwerk = _coordinated_or_403(netzwerk_id)
    _record_export(netzwerk, "mitglieder_csv")
    data = to_csv(member_rows(network_graph(netzwerk)), MEMBER_COLUMNS)
    return _download(data, f"netzwerk-{netzwerk.id}-mitglieder.csv", CSV_MIMETYPE)


@bp.get("/<int:netzwerk_id>/export/themen.csv")
@recent_login_required()
def export_themen_csv(netzwerk_id: int):
    """The topic coverage as CSV."""
    netzwerk = _coordinated_or_403(netzwerk_id)
    _record_export(netzwerk, "themen_csv")
    data = to_csv(coverage_rows(network_coverage(netzwerk)), COVERAGE_COLUMNS)
    return _download(data, f"netzwerk-{netzwerk.id}-themen.csv", CSV_MIMETYPE)


@bp.get("/<int:netzwerk_id>/export/netzwerk.xlsx")
@recent_login_required()
def export_xlsx(netzwerk_id: int):
    """Members and coverage as two sheets of one workbook."""
    netzwerk = _coordinated_or_403(netzwerk_id)
    _record_export(netzwerk, "xlsx")
    data = to_xlsx(
        [
            ("Mitglieder", MEMBER_COLUMNS, member_rows(network_graph(netzwerk))),
            ("Themen", COVERAGE_COLUMNS, coverage_rows(network_coverage(netzwerk))),
        ]
    )
    return _download(
        data,
        f"netzwerk-{netzwerk.id}.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@bp.get("/<int:netzwerk_id>/export/netzwerk.graphml")
@recent_login_required()
def export_graphml(netzwerk_id: int):
    """The graph as GraphML for Gephi or yEd."""
    netzwerk = _coordinated_or_403(netzwerk_id)
    _record_export(netzwerk, "graphml")
    return _download(
        graphml(network_graph(netzwerk)), f"netzwerk-{netzwerk.id}.graphml", "application/graphml+xml"
    )


@bp.route("/einladung/<token>", methods=["GET", "POST"])
@login_required
def einladung(token: str):
    """An invitation: an officer of the invited Kommune accepts or declines it."""
    einladung = get_invitation(token)
    if einladung is None:
        abort(404)
    mine = acting_kommune_ids(current_user)
    if einladung.kommune_id is not None:
        candidates = [einladung.kommune_id] if einladung.kommune_id in mine else []
    else:
        candidates = sorted(mine)
    kommunen = (
        list(db.session.scalars(sa.select(Kommune).where(Kommune.id.in_(candidates)).order_by(Kommune.name)))
        if candidates
        else []
    )
    form = AcceptForm()
    form.kommune_id.choices = [(k.id, k.name) for k in kommunen]
    if request.method == "POST":
        if not kommunen:
            abort(403)
        if form.validate_on_submit():
            kommune_id = form.kommune_id.data
            if not can_act_for(current_user, kommune_id):
                abort(403)
            try:
                if request.form.get("antwort") == "ablehnen":
                    decline_invitation(einladung, current_user)
                    message = _("Sie haben die Einladung abgelehnt.")
                else:
                    accept_invitation(einladung, db.session.get(Kommune, kommune_id), current_user)
                    message = _(
                        "Ihre Kommune ist jetzt Mitglied des Netzwerks „%(name)s“.",
                        name=einladung.netzwerk.name,
                    )
                db.session.commit()
            except NetzwerkError as exc:
                db.session.rollback()
                flash(str(exc), "error")
            else:
                flash(message, "success")
                return redirect(url_for("kommunen.detail", ags=db.session.get(Kommune, kommune_id).ags), 303)
            return redirect(url_for("netzwerke.einladung", token=token), 303)
    return render_template("netzwerke/einladung.html", einladung=einladung, form=form, kommunen=kommunen)
