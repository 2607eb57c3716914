"""Pages of shared projects: list, detail, propose, join, leave, hand over, close, proposals."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from matching.vocabulary import TOPIC_LABELS_DE
from plattform.accounts.permissions import acting_kommune_ids, can_act_for, coordinated_kommune_ids
from plattform.core.actions import commit_action
from plattform.core.forms import parse_form_int
from plattform.core.routing import MAX_ID
from plattform.extensions import db
from plattform.i18n import TOPIC_LABELS
from plattform.kommunen.models import Kommune
from plattform.kommunen.services import kommunen_by_name
from plattform.projekte import bp
from plattform.projekte.forms import (
    CloseForm,
    HandOverForm,
    InviteKommunenForm,
    KommuneChoiceForm,
    ProposeForm,
    StatusForm,
)
from plattform.projekte.models import PROJECT_STATUS_LABELS_DE, ProjectProposal
from plattform.projekte.proposals import proposals_for
from plattform.projekte.services import (
    ProjectError,
    close_project,
    create_from_proposal,
    get_project,
    hand_over_lead,
    join_project,
    leave_project,
    list_projects,
    may_create_from,
    may_join_from,
    propose_project,
    set_status,
)


def _acting_kommunen() -> list[Kommune]:
    """The Kommunen the current user may act for, by name."""
    ids = acting_kommune_ids(current_user)
    if not ids:
        return []
    return kommunen_by_name(ids)


def _project_or_404(project_id: int):
    project = get_project(project_id)
    if project is None:
        abort(404)
    return project


def _may_steer(project) -> bool:
    """Officers of the lead Kommune (and administrators) hand over the lead, change status and close."""
    return current_user.is_authenticated and (
        current_user.is_admin or can_act_for(current_user, project.lead_kommune_id)
    )


@bp.get("/")
def liste():
    """All shared projects, filterable by status and topic."""
    status = request.args.get("status") or None
    thema = request.args.get("thema") or None
    if status not in PROJECT_STATUS_LABELS_DE:
        status = None
    if thema not in TOPIC_LABELS_DE:
        thema = None
    return render_template(
        "projekte/liste.html",
        projects=list_projects(status, thema),
        status=status,
        thema=thema,
        status_labels=PROJECT_STATUS_LABELS_DE,
        topic_labels=TOPIC_LABELS,
    )


@bp.get("/<int:project_id>")
def detail(project_id: int):
    """A project: topic, lead, members, status, result; the actions the visitor may take."""
    project = _project_or_404(project_id)
    mine = _acting_kommunen() if current_user.is_authenticated else []
    joinable = [k for k in mine if (m := project.member_for(k.id)) is None or m.status != "beigetreten"]
    leavable = [k for k in mine if project.member_for(k.id) is not None and k.id != project.lead_kommune_id]
    join_form = KommuneChoiceForm(prefix="beitreten")
    join_form.kommune_id.choices = [(k.id, k.name) for k in joinable]
    leave_form = KommuneChoiceForm(prefix="verlassen")
    leave_form.kommune_id.choices = [(k.id, k.name) for k in leavable]
    status_form = StatusForm(status=project.status)
    return render_template(
        "projekte/detail.html",
        project=project,
        topic_labels=TOPIC_LABELS,
        join_form=join_form if joinable and not project.is_closed else None,
        leave_form=leave_form if leavable and not project.is_closed else None,
        status_form=status_form,
        may_steer=_may_steer(project) and not project.is_closed,
        may_read_brief=_may_read_brief(project),
    )


def _may_read_brief(project) -> bool:
    from plattform.projekte.brief import may_read

    return may_read(current_user, {project.lead_kommune_id} | {m.kommune_id for m in project.members})


def _chosen_kommune(form: KommuneChoiceForm, allowed: list[Kommune]) -> int:
    """The Kommune id posted by the form, which the user must be allowed to act for (else 403)."""
    form.kommune_id.choices = [(k.id, k.name) for k in allowed]
    raw = request.form.get(form.kommune_id.name)
    try:
        kommune_id = int(raw) if raw else (allowed[0].id if len(allowed) == 1 else None)
    except ValueError:
        kommune_id = None
    if kommune_id is None or not can_act_for(current_user, kommune_id):
        abort(403)
    return kommune_id


@bp.post("/<int:project_id>/beitreten")
@login_required
def beitreten(project_id: int):
    """Join a project (or accept an invitation) for one of the user's Kommunen."""
    project = _project_or_404(project_id)
    kommune_id = _chosen_kommune(KommuneChoiceForm(prefix="beitreten"), _acting_kommunen())
    commit_action(
        lambda: join_project(project, kommune_id),
        ProjectError,
        _("Ihre Kommune ist dem Projekt beigetreten."),
    )
    return redirect(url_for("projekte.detail", project_id=project_id), 303)


@bp.post("/<int:project_id>/verlassen")
@login_required
def verlassen(project_id: int):
    """Leave a project (or decline an invitation)."""
    project = _project_or_404(project_id)
    kommune_id = _chosen_kommune(KommuneChoiceForm(prefix="verlassen"), _acting_kommunen())
    commit_action(
        lambda: leave_project(project, kommune_id),
        ProjectError,
        _("Ihre Kommune ist aus dem Projekt ausgetreten."),
    )
    return redirect(url_for("projekte.detail", project_id=project_id), 303)


@bp.route("/neu", methods=["GET", "POST"])
@login_required
def neu():
    """Propose a new shared project from scratch; the proposing Kommune leads."""
    mine = _acting_kommunen()
    if not mine:
        abort(403)
    form = ProposeForm()
    form.kommune_id.choices = [(k.id, k.name) for k in mine]
    if request.method == "GET" and request.args.get("thema") in TOPIC_LABELS_DE:
        form.thema.data = request.args["thema"]
    if form.validate_on_submit():
        if not can_act_for(current_user, form.kommune_id.data):
            abort(403)
        lead = db.session.get(Kommune, form.kommune_id.data)
        try:
            project = propose_project(
                lead, form.thema.data, form.titel.data, form.beschreibung.data, user_id=current_user.id
            )
            db.session.commit()
        except ProjectError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            flash(_("Das Projekt ist angelegt. Andere Kommunen können jetzt beitreten."), "success")
            return redirect(url_for("projekte.detail", project_id=project.id), 303)
    status = 422 if request.method == "POST" else 200
    return render_template("projekte/neu.html", form=form), status


@bp.route("/<int:project_id>/einladen", methods=["GET", "POST"])
@login_required
def einladen(project_id: int):
    """The lead invites more Kommunen (by AGS); each officer of an invited Kommune gets a notice."""
    import re

    from plattform.kommunen.services import get_by_ags
    from plattform.projekte.services import invite_kommunen

    project = _project_or_404(project_id)
    if not _may_steer(project) or project.is_closed:
        abort(403)
    form = InviteKommunenForm()
    if form.validate_on_submit():
        codes = [c for c in re.split(r"[\s,;]+", form.ags.data.strip()) if c]
        kommunen = [get_by_ags(c) for c in codes]
        unknown = [c for c, k in zip(codes, kommunen, strict=True) if k is None or not k.active]
        if unknown:
            form.ags.errors = [_("Nicht im Gemeindeverzeichnis: %(codes)s.", codes=", ".join(unknown[:10]))]
        else:
            try:
                invited = invite_kommunen(project, kommunen)
                db.session.commit()
            except ProjectError as exc:
                db.session.rollback()
                form.ags.errors = [str(exc)]
            else:
                if invited:
                    flash(
                        _(
                            "Eingeladen: %(namen)s. Die Verantwortlichen erhalten eine E-Mail.",
                            namen=", ".join(k.name for k in invited),
                        ),
                        "success",
                    )
                else:
                    flash(_("Diese Kommunen sind bereits eingeladen oder Mitglied."), "info")
                return redirect(url_for("projekte.detail", project_id=project.id), 303)
    status = 422 if request.method == "POST" else 200
    return render_template("projekte/einladen.html", project=project, form=form), status


@bp.route("/<int:project_id>/federfuehrung", methods=["GET", "POST"])
@login_required
def federfuehrung(project_id: int):
    """Hand the lead to another joined member (officers of the lead Kommune only)."""
    project = _project_or_404(project_id)
    if not _may_steer(project):
        abort(403)
    form = HandOverForm()
    form.new_lead_id.choices = [
        (m.kommune_id, m.kommune.name) for m in project.joined() if m.kommune_id != project.lead_kommune_id
    ]
    if form.validate_on_submit():
        try:
            hand_over_lead(project, form.new_lead_id.data)
            db.session.commit()
        except ProjectError as exc:
            db.session.rollback()
            form.new_lead_id.errors = [str(exc)]
        else:
            flash(_("Die Federführung ist übergeben."), "success")
            return redirect(url_for("projekte.detail", project_id=project.id), 303)
    status = 422 if request.method == "POST" else 200
    return render_template("projekte/federfuehrung.html", project=project, form=form), status


@bp.route("/<int:project_id>/abschliessen", methods=["GET", "POST"])
@login_required
def abschliessen(project_id: int):
    """Close the project with its result (officers of the lead Kommune only)."""
    project = _project_or_404(project_id)
    if not _may_steer(project):
        abort(403)
    form = CloseForm()
    if form.validate_on_submit():
        try:
            close_project(project, form.ergebnis.data, form.nachnutzung.data)
            db.session.commit()
        except ProjectError as exc:
            db.session.rollback()
            form.ergebnis.errors = [str(exc)]
        else:
            flash(_("Das Projekt ist abgeschlossen."), "success")
            return redirect(url_for("projekte.detail", project_id=project.id), 303)
    status = 422 if request.method == "POST" else 200
    return render_template("projekte/abschliessen.html", project=project, form=form), status


@bp.post("/<int:project_id>/status")
@login_required
def status(project_id: int):
    """Change the status of a running project (officers of the lead Kommune only)."""
    project = _project_or_404(project_id)
    if not _may_steer(project):
        abort(403)
    form = StatusForm()
    if form.validate_on_submit():
        commit_action(
            lambda: set_status(project, form.status.data), ProjectError, _("Der Status ist geändert.")
        )
    else:
        flash(_("Bitte wählen Sie einen gültigen Status."), "error")
    return redirect(url_for("projekte.detail", project_id=project.id), 303)


def _may_create_from(
    proposal: ProjectProposal, mine: list[Kommune], coordinated: set[int]
) -> tuple[bool, list[Kommune]]:
    """Whether the user may turn the proposal into a project, and for which of their Kommunen."""
    members = {k.id for k in proposal.member_kommunen}
    creators = [k for k in mine if k.id in members]
    allowed = may_create_from(
        proposal, is_admin=current_user.is_admin, acting={k.id for k in mine}, coordinated=coordinated
    )
    return allowed, creators


@bp.get("/vorschlaege")
@login_required
def vorschlaege():
    """ "Gemeinsame Projekte in Ihrer Nähe": stored proposals for the user's (or coordinated) Kommunen."""
    mine = _acting_kommunen()
    coordinated = coordinated_kommune_ids(current_user)
    ids = {k.id for k in mine} | coordinated
    thema = request.args.get("thema") if request.args.get("thema") in TOPIC_LABELS_DE else None
    proposals = proposals_for(ids, thema)
    forms, join_forms = {}, {}
    for p in proposals:
        allowed, creators = _may_create_from(p, mine, coordinated)
        if allowed:
            form = KommuneChoiceForm(prefix=f"v{p.id}")
            form.kommune_id.choices = [(k.id, k.name) for k in creators]
            forms[p.id] = form
        if joiners := may_join_from(p, mine):
            # The prefix of the join action (POST /projekte/<id>/beitreten).
            form = KommuneChoiceForm(prefix="beitreten")
            form.kommune_id.choices = [(k.id, k.name) for k in joiners]
            join_forms[p.id] = form
    from plattform.netzwerke.analysis import duplication_sort
    from plattform.projekte.reports import Area, report

    kreise = {k.kreis for k in mine if k.kreis is not None} | {k for k in mine if k.is_kreis}
    sort, descending = duplication_sort(request.args)
    duplications = [
        report(Area("kreis", kreis.ags, kreis.display_name), sort, descending)
        for kreis in sorted(kreise, key=lambda k: k.name)
    ]
    return render_template(
        "projekte/vorschlaege.html",
        proposals=proposals,
        forms=forms,
        join_forms=join_forms,
        duplications=[r for r in duplications if r.rows],
        sort=sort,
        descending=descending,
        topic_labels=TOPIC_LABELS,
        thema=thema,
    )


@bp.post("/vorschlaege/<int:proposal_id>/anlegen")
@login_required
def aus_vorschlag(proposal_id: int):
    """Turn a proposal into an open project: lead as proposed, the other Kommunen invited."""
    proposal = db.session.get(ProjectProposal, proposal_id)
    if proposal is None:
        flash(_("Dieser Vorschlag ist nicht mehr aktuell. Bitte sehen Sie die aktuelle Liste an."), "error")
        return redirect(url_for("projekte.vorschlaege"), 303)
    allowed, mine = _may_create_from(proposal, _acting_kommunen(), coordinated_kommune_ids(current_user))
    if not allowed:
        abort(403)
    acting = None
    if mine:
        raw = request.form.get(f"v{proposal_id}-kommune_id")
        acting = parse_form_int(raw, minimum=1, maximum=MAX_ID) if raw else mine[0].id
        if acting is None:
            abort(400)  # not a number ("²"): the German page asks to reload and try again
        if acting not in {k.id for k in mine}:
            abort(403)
    try:
        project = create_from_proposal(proposal, acting_kommune_id=acting, user_id=current_user.id)
        db.session.commit()
    except ProjectError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("projekte.vorschlaege"), 303)
    flash(
        _(
            "Das Projekt ist angelegt. Die anderen Kommunen des Vorschlags sind eingeladen "
            "und treten mit einem Klick bei."
        ),
        "success",
    )
    return redirect(url_for("projekte.detail", project_id=project.id), 303)


# --- Kooperationssteckbrief: print page and PDF, for a shared project or a partnership ----------------


def _brief_lang() -> str:
    from flask_babel import get_locale

    return "en" if str(get_locale()) == "en" else "de"


def _project_brief_or_404(project_id: int):
    from plattform.projekte.brief import may_read, project_brief

    project = _project_or_404(project_id)
    ids = {project.lead_kommune_id} | {m.kommune_id for m in project.members}
    if not may_read(current_user, ids):
        abort(404)  # the brief lists needs and contacts: for others it does not exist
    return project_brief(project, current_user)


def _partnership_brief_or_404(partnership_id: int):
    from plattform.kontakte.models import Partnership
    from plattform.projekte.brief import may_read, partnership_brief

    partnership = db.session.get(Partnership, partnership_id)
    if partnership is None or not may_read(
        current_user, {partnership.kommune_a_id, partnership.kommune_b_id}
    ):
        abort(404)
    return partnership_brief(partnership, current_user)


def _brief_page(brief, pdf_url: str, back_url: str):
    from plattform.projekte.brief import brief_context

    lang = _brief_lang()
    other = "en" if lang == "de" else "de"
    return render_template(
        "projekte/steckbrief.html",
        pdf_url=pdf_url,
        back_url=back_url,
        other_lang_url=f"{request.path}?lang={other}",
        **brief_context(brief, lang),
    )


def _brief_pdf(brief, page_url: str):
    from plattform.core.exports import download
    from plattform.projekte.brief import BriefPdfError, render_pdf

    try:
        data = render_pdf(brief, _brief_lang())
    except BriefPdfError:
        return render_template("projekte/steckbrief_fehler.html", page_url=page_url), 503
    return download(data, f"kooperationssteckbrief-{brief.slug}.pdf", "application/pdf")


@bp.get("/<int:project_id>/steckbrief")
@login_required
def steckbrief(project_id: int):
    """The project's Kooperationssteckbrief as a printable page."""
    brief = _project_brief_or_404(project_id)
    return _brief_page(
        brief,
        url_for("projekte.steckbrief_pdf", project_id=project_id),
        url_for("projekte.detail", project_id=project_id),
    )


@bp.get("/<int:project_id>/steckbrief.pdf")
@login_required
def steckbrief_pdf(project_id: int):
    """The project's Kooperationssteckbrief as PDF (WeasyPrint, same template as the page)."""
    brief = _project_brief_or_404(project_id)
    return _brief_pdf(brief, url_for("projekte.steckbrief", project_id=project_id))


@bp.get("/partnerschaft/<int:partnership_id>/steckbrief")
@login_required
def partnerschaft_steckbrief(partnership_id: int):
    """A partnership's Kooperationssteckbrief as a printable page."""
    brief = _partnership_brief_or_404(partnership_id)
    return _brief_page(
        brief,
        url_for("projekte.partnerschaft_steckbrief_pdf", partnership_id=partnership_id),
        url_for("kontakte.anfragen"),
    )


@bp.get("/partnerschaft/<int:partnership_id>/steckbrief.pdf")
@login_required
def partnerschaft_steckbrief_pdf(partnership_id: int):
    """A partnership's Kooperationssteckbrief as PDF."""
    brief = _partnership_brief_or_404(partnership_id)
    return _brief_pdf(brief, url_for("projekte.partnerschaft_steckbrief", partnership_id=partnership_id))


# --- Duplication per Kreis and Land: the coordinator's report as sortable tables --------------------


@bp.get("/doppelarbeit")
@login_required
def doppelarbeit():
    """Topics several Kommunen of a Kreis (or Land) work on separately: Kreis coordinators read their
    Kreise, administrators every Kreis and Land (chosen with `ebene` and `gebiet`); others get 403."""
    from plattform.netzwerke.analysis import duplication_sort
    from plattform.projekte.reports import EBENEN, areas_for, report

    areas = areas_for(current_user)
    if not areas and not current_user.is_admin:
        abort(403)
    ebene = request.args.get("ebene", "kreis")
    gebiet = request.args.get("gebiet")
    if ebene not in EBENEN:
        abort(404)
    area = None
    if gebiet:
        area = next((a for a in areas if a.ebene == ebene and a.key == gebiet), None)
        if area is None:
            # A Kreis or Land one does not coordinate is refused; an administrator's unknown key is 404.
            abort(404 if current_user.is_admin else 403)
    else:
        area = next((a for a in areas if a.ebene == ebene), None)
        if area is None and ebene == "land" and not current_user.is_admin:
            abort(403)
    sort, descending = duplication_sort(request.args)
    return render_template(
        "projekte/doppelarbeit.html",
        areas=areas,
        area=area,
        ebene=ebene,
        result=report(area, sort, descending) if area is not None else None,
        sort=sort,
        descending=descending,
    )


@bp.get("/vorschlaege/<int:proposal_id>")
@login_required
def vorschlag(proposal_id: int):
    """One proposal: its group on a map, the Kommunen as a table, the lead and the reuse sources. A
    proposal is private to its Kommunen, their coordination and administrators (404 for others)."""
    from plattform.kommunen.map import MapPoint, directory_points, group_map

    if proposal_id > MAX_ID:
        abort(404)
    proposal = db.session.get(ProjectProposal, proposal_id)
    if proposal is None:
        abort(404)
    named = {k.id for k in proposal.member_kommunen}
    mine = set(acting_kommune_ids(current_user)) | coordinated_kommune_ids(current_user)
    if not (current_user.is_admin or named & mine):
        abort(404)
    rows = [
        (k, "federfuehrung" if k.id == proposal.lead_kommune_id else "mitglied")
        for k in proposal.member_kommunen
    ]
    rows += [(k, "nachnutzung") for k in proposal.reuse_kommunen]
    if proposal.lead_kommune_id not in named:
        rows.insert(0, (proposal.lead, "federfuehrung"))
    points = [MapPoint(k.lat, k.lon, k.short_name, kind) for k, kind in rows if k.lat is not None]
    return render_template(
        "projekte/vorschlag.html",
        p=proposal,
        rows=rows,
        group_map=group_map(points, directory_points(points)),
        topic_labels=TOPIC_LABELS,
    )
