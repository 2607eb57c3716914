"""Profile pages: the type test and its result, the profile editor, the Kommune page section,
and the spreadsheet upload and export for coordinators."""

from __future__ import annotations

import dataclasses
import io
import json
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from matching.coldstart import estimate_profile
from matching.profiles import MAX_PROJECTS, ProfileData, ProfileFormatError, parse_profile, profile_to_dict
from matching.taxonomy import (
    DEFINING_GOALS,
    PERSONA_CAN_TEACH,
    PERSONA_CAN_TEACH_DE,
    PERSONA_WANTS_TO_LEARN,
    PERSONA_WANTS_TO_LEARN_DE,
    STUDY_CITATION_DE,
    TYPE_FOUND_AS_DE,
    TYPE_MOTTOS_DE,
)
from matching.typology import TypeResult, TypeTestError, classify, validate_ranking
from matching.vocabulary import (
    TOPIC_GROUPS,
    TOPICS,
    TYPES,
)
from plattform.accounts.permissions import (
    acting_kommune_ids,
    can_edit_profile,
    coordinated_kommune_ids,
    recent_login_required,
)
from plattform.core import audit
from plattform.core.exports import CSV_MIMETYPE, XLSX_MIMETYPE, download
from plattform.core.navigation import register_nav
from plattform.core.tasks import enqueue
from plattform.core.text import validates_own_text
from plattform.extensions import db
from plattform.i18n import (
    GOAL_LABELS,
    HANDLUNGSFELD_LABELS,
    OPEN_FOR_LABELS,
    TOPIC_GROUP_LABELS,
    TOPIC_LABELS,
    TYPE_LABELS,
)
from plattform.kommunen.models import Kommune
from plattform.kommunen.sections import register_kommune_section
from plattform.kommunen.services import get_by_ags, is_matchable, not_matchable_message
from plattform.profile import bp
from plattform.profile.formats import FORMATS, ProfileImportError, profiles_csv, write_template_xlsx
from plattform.profile.forms import (
    GOAL_FIELDS,
    NEED_WORDS,
    STATUS_LABELS,
    STRENGTH_WORDS,
    ProfileEditorForm,
    TypeTestForm,
    UploadForm,
    need_field_name,
    simple_fields,
    strength_field_name,
)
from plattform.profile.jobs import (
    create_job,
    get_job,
    import_upload,
    inline_limit,
    job_issues,
    job_result,
    record_finished,
)
from plattform.profile.models import Profile
from plattform.profile.services import (
    apply_type_test,
    field_defaults,
    get_profile,
    profile_to_data,
    profiles_for_export,
    save_profile,
    template_rows,
)
from plattform.profile.tasks import run_import_task
from plattform.profile.uploads import check_upload, upload_limit_mb

# Blank project rows the editor offers below the existing ones ("add more by saving").
BLANK_PROJECT_ROWS = 2
EXPORT_FORMATS = {
    "csv": CSV_MIMETYPE,
    "xlsx": XLSX_MIMETYPE,
    "json": "application/json",
    "jsonl": "application/jsonl; charset=utf-8",
}


# --------------------------------------------------------------------------- permissions


def _editable_ids(user) -> set[int] | None:
    """Ids of the Kommunen whose profile the user may edit; None means all (administrators).

    The same rule as permissions.can_edit_profile, computed once for a whole upload or export.
    """
    if user is None or not user.is_authenticated:
        return set()
    if user.is_admin:
        return None
    return acting_kommune_ids(user) | coordinated_kommune_ids(user)


def _is_coordinator(user) -> bool:
    """Administrators and coordinators use the bulk import and export."""
    if user is None or not user.is_authenticated:
        return False
    return bool(user.is_admin or coordinated_kommune_ids(user))


register_nav("profile.typtest", "Typtest", 20)
register_nav("profile.import_page", "Profile importieren", 70, visible=lambda: _is_coordinator(current_user))


# --------------------------------------------------------------------------- type test


@dataclass(frozen=True)
class TypeCard:
    """The study's card of one type, as the result page shows it."""

    typ: str
    label: str
    motto: str
    found_as: str
    defining_goals: tuple[str, ...]
    can_teach: tuple[str, ...]
    wants_to_learn: tuple[str, ...]
    # (type label, topics of its strengths that this type wants to learn)
    learn_from: tuple[tuple[str, tuple[str, ...]], ...]


def type_card(typ: str) -> TypeCard:
    """Build the card of a type: motto, where found, can teach, wants to learn, and from whom."""
    wants = PERSONA_WANTS_TO_LEARN[typ]
    learn_from = []
    for other in TYPES:
        if other == typ:
            continue
        topics = tuple(TOPIC_LABELS[t] for t in wants if t in PERSONA_CAN_TEACH[other])
        if topics:
            learn_from.append((TYPE_LABELS[other], topics))
    return TypeCard(
        typ=typ,
        label=TYPE_LABELS[typ],
        motto=TYPE_MOTTOS_DE[typ],
        found_as=TYPE_FOUND_AS_DE[typ],
        defining_goals=tuple(GOAL_LABELS[g] for g in DEFINING_GOALS[typ]),
        can_teach=PERSONA_CAN_TEACH_DE[typ],
        wants_to_learn=PERSONA_WANTS_TO_LEARN_DE[typ],
        learn_from=tuple(learn_from),
    )


def result_label(result: TypeResult) -> str:
    """The result's type in the request's language: 'Die Optimierer', or the mixed label
    ('zwischen Optimierer und Serviceorientierte'; in English 'between The Optimisers and …')."""
    if TYPE_LABELS.is_german(result.typ):
        return result.label_de
    if result.mixed:
        return _(
            "zwischen %(first)s und %(second)s",
            first=TYPE_LABELS[result.typ],
            second=TYPE_LABELS[result.second],
        )
    return TYPE_LABELS[result.typ]


def shown_type_label(profile: Profile | None) -> str | None:
    """A stored profile's type as pages show it: in German what profile_type_label says (the API's
    label), on an English page its English counterpart."""
    if profile is None or not profile.typ:
        return None
    if profile.ziele:
        try:
            return result_label(classify(profile.ziele))
        except TypeTestError:
            pass
    return TYPE_LABELS.get(profile.typ, profile.typ)


def confidence_words(result: TypeResult) -> str:
    """The confidence of a result in plain words (the number alone means little)."""
    second = TYPE_LABELS[result.second]
    if result.mixed:
        return _(
            "Nicht eindeutig: Ihre Ziele liegen fast gleich nah an zwei Typen. Sie sind ein Mischtyp; "
            "beide Steckbriefe können für Sie passen."
        )
    if result.confidence >= 0.5:
        return _("Eindeutig: Ihre Ziele liegen sehr nah an diesem Typ und weit entfernt von den anderen.")
    if result.confidence >= 0.25:
        return _(
            "Ziemlich sicher: Ihre Ziele passen deutlich besser zu diesem Typ als zu „%(second)s“.",
            second=second,
        )
    return _(
        "Eine Tendenz: Ihre Ziele passen etwas besser zu diesem Typ, aber „%(second)s“ liegt nicht weit "
        "entfernt.",
        second=second,
    )


def _kommune_choices(user, ags_param: str | None) -> list[tuple[str, str]]:
    """Kommunen the user may save the type test for: own and coordinated ones, plus ?ags= if allowed."""
    if not user.is_authenticated:
        return []
    ids = acting_kommune_ids(user) | coordinated_kommune_ids(user)
    kommunen = list(db.session.scalars(db.select(Kommune).where(Kommune.id.in_(ids)))) if ids else []
    if ags_param and all(k.ags != ags_param for k in kommunen):
        extra = get_by_ags(ags_param)
        if extra is not None and can_edit_profile(user, extra.id):
            kommunen.append(extra)
    kommunen = [k for k in kommunen if is_matchable(k)]  # a Kreis row of a kreisfreie Stadt never matches
    kommunen.sort(key=lambda k: (k.ebene != "gemeinde", k.name))
    return [(k.ags, _choice_label(k)) for k in kommunen]


def _choice_label(kommune: Kommune) -> str:
    """'Kreuzau (Gemeinde)', 'Aach, Stadt', 'Kreis Düren': the kind said once (translated)."""
    if kommune.ebene == "gemeinde" and "," not in kommune.name:
        return f"{kommune.name} ({_(kommune.kind_label)})"
    return kommune.choice_label


def _render_not_matchable(kommune: Kommune):
    """The type test again, the choice refused with the message pointing to the city's own row."""
    form = TypeTestForm(kommune_choices=_kommune_choices(current_user, None))
    for name in GOAL_FIELDS:
        form[name].data = request.form.get(name, "")
    form.kommune.errors = [not_matchable_message(kommune)]
    return _render_typtest(form, 422)


def _set_goal_error(form: TypeTestForm, exc: TypeTestError) -> str | None:
    """Put the typology's message next to its select; return it when it concerns the whole ranking."""
    if exc.field in GOAL_FIELDS:
        form[exc.field].errors = [exc.message_de]
        return None
    return exc.message_de


def _check_ranking(form: TypeTestForm, ranking: list[str]) -> tuple[str, ...] | None:
    """Validate a ranking; on error set it on the form and return None."""
    form.group_error = None
    for rank, goal in enumerate(ranking, start=1):
        if not goal and rank <= len(GOAL_FIELDS):
            form[f"ziel_{rank}"].errors = [
                _("Bitte zuerst dieses Ziel wählen: die Ränge werden von oben nach unten vergeben.")
            ]
            return None
    try:
        return validate_ranking(ranking)
    except TypeTestError as exc:
        form.group_error = _set_goal_error(form, exc)
        return None


def _render_typtest(form: TypeTestForm, status: int = 200):
    return (
        render_template(
            "profile/typtest.html",
            form=form,
            group_error=getattr(form, "group_error", None),
            goal_fields=[form[name] for name in GOAL_FIELDS],
        ),
        status,
    )


@bp.route("/typtest", methods=["GET", "POST"])
def typtest():
    """The type test: rank the three most important goals; save for a Kommune only when one is chosen
    (never preselected), and replace a Kommune's existing type only after a confirmation."""
    ags_param = request.args.get("ags") or None
    choices = _kommune_choices(current_user, ags_param)
    form = TypeTestForm(kommune_choices=choices)
    if request.method == "GET":
        # The Kommune the test was opened for lends its earlier goals; saving still needs a choice.
        allowed = {ags for ags, _label in choices}
        existing = get_by_ags(ags_param) if ags_param in allowed else None
        profile = get_profile(existing.id) if existing else None
        if profile is not None:
            for name, goal in zip(GOAL_FIELDS, profile.ziele or (), strict=False):
                form[name].data = goal
        return _render_typtest(form)
    if not form.validate_on_submit():
        abort(400)
    ranking = _check_ranking(form, form.ranking(request.form))
    if ranking is None:
        return _render_typtest(form, 422)
    target = (form.kommune.data or "").strip()
    if not target:
        return redirect(url_for(".ergebnis", ziel=list(ranking)))
    kommune = get_by_ags(target)
    if kommune is None or not can_edit_profile(current_user, kommune.id):
        abort(403)
    if not is_matchable(kommune):
        return _render_not_matchable(kommune)
    profile = get_profile(kommune.id)
    replaces = profile is not None and profile.typ and tuple(profile.ziele or ()) != tuple(ranking)
    if replaces and request.form.get("ersetzen") != "1":
        return render_template(
            "profile/typ_ersetzen.html",
            form=form,
            kommune=kommune,
            ranking=list(ranking),
            old_label=shown_type_label(profile),
            old_goals=[GOAL_LABELS.get(g, g) for g in profile.ziele or ()],
            new_label=result_label(classify(ranking)),
            new_goals=[GOAL_LABELS[g] for g in ranking],
        )
    apply_type_test(kommune, list(ranking), user_id=current_user.id)
    db.session.commit()
    flash(_("Das Ergebnis des Typtests ist für %(name)s gespeichert.", name=kommune.name), "success")
    return redirect(url_for(".ergebnis", ziel=list(ranking), ags=kommune.ags))


@bp.get("/typtest/ergebnis")
def ergebnis():
    """The result: type (or mixed type), confidence in words, the study's card, the first estimate."""
    ranking = [g.strip() for g in request.args.getlist("ziel")]
    form = TypeTestForm(kommune_choices=_kommune_choices(current_user, request.args.get("ags")))
    for name, goal in zip(GOAL_FIELDS, ranking, strict=False):
        form[name].data = goal
    goals = _check_ranking(form, ranking)
    if goals is None:
        return _render_typtest(form, 422)
    result = classify(goals)
    kommune = get_by_ags(request.args.get("ags", ""))
    if kommune is not None and not can_edit_profile(current_user, kommune.id):
        kommune = None
    estimate = estimate_profile(result.typ)
    return render_template(
        "profile/ergebnis.html",
        result=result,
        result_label=result_label(result),
        goals=[GOAL_LABELS[g] for g in goals],
        card=type_card(result.typ),
        second_card=type_card(result.second) if result.mixed else None,
        confidence_text=confidence_words(result),
        confidence_percent=round(result.confidence * 100),
        estimate_strengths=[TOPIC_LABELS[t] for t in estimate.staerken],
        estimate_needs=[TOPIC_LABELS[t] for t in estimate.bedarfe],
        study_german=TYPE_LABELS.is_german(result.typ),
        kommune=kommune,
        citation=STUDY_CITATION_DE,
    )


# --------------------------------------------------------------------------- profile editor


def _initial_editor_data(profile: Profile | None) -> dict:
    """Values to pre-fill: the stored (or estimated) profile, else the model's defaults."""
    data = profile_to_data(profile) if profile is not None else None
    values: dict = {}
    for name in simple_fields():
        value = getattr(data, name) if data is not None else field_defaults()[name]
        values[name] = list(value) if isinstance(value, tuple) else str(value)
    if profile is not None:
        for topic in profile.topics:
            values[strength_field_name(topic.thema)] = str(topic.staerke or 0)
            values[need_field_name(topic.thema)] = str(topic.bedarf or 0)
    values["projekte"] = [
        {"thema": p.thema, "titel": p.titel, "status": p.status, "link": p.link or ""}
        for p in (data.projekte if data is not None else ())
    ]
    values["projekte"] += [{"thema": "", "titel": "", "status": "geplant", "link": ""}] * BLANK_PROJECT_ROWS
    return values


def _typed(raw: str | None):
    """A form value as the model reads it: '' means not set, ASCII digits a number, the rest as typed."""
    raw = (raw or "").strip()
    if raw.isascii() and raw.isdigit():
        return int(raw)
    if raw.isascii():
        try:
            return float(raw.replace(",", "."))
        except ValueError:
            pass
    return raw


def _level_value(raw: str | None):
    """'' and '0' mean 'not set'."""
    value = _typed(raw)
    return None if value in ("", 0) else value


def _simple_value(name: str, field):
    """A simple field's value for the model: a list for checkboxes, a number or the text otherwise."""
    if isinstance(field.data, list):
        return list(field.data)
    value = _typed(field.data)
    if name == "reichweite_km" and isinstance(value, str):
        value = _typed(value.removesuffix("km"))
    return value


def editor_to_profile(
    form: ProfileEditorForm, kommune: Kommune, ziele: tuple[str, ...]
) -> ProfileData | None:
    """Validate the editor with the profile model in one pass; every issue lands next to its field.

    Returns the profile, or None after setting ``errors`` on each offending field.
    """
    failed = []

    def fail(field, message: str) -> None:
        field.errors = [*field.errors, message] if field.errors else [message]
        if field not in failed:
            failed.append(field)

    obj: dict = {"ags": kommune.ags, "ziele": list(ziele), "staerken": {}, "bedarfe": {}}
    for topic in TOPICS:
        for name, key in (
            (strength_field_name(topic.slug), "staerken"),
            (need_field_name(topic.slug), "bedarfe"),
        ):
            value = _level_value(form[name].data)
            if value is not None:
                obj[key][topic.slug] = value
    for name in simple_fields():
        value = _simple_value(name, form[name])
        if value != "":
            obj[name] = value
    rows = []
    projekte = []
    if form.projekte.overflow:
        form.projekte.errors = [
            _(
                "Höchstens %(max)d Projekte passen in ein Profil; %(extra)d weitere Zeilen wurden nicht "
                "gelesen. Bitte fassen Sie Projekte zusammen oder entfernen Sie abgeschlossene.",
                max=MAX_PROJECTS,
                extra=form.projekte.overflow,
            )
        ]
        failed.append(form.projekte)
    for entry in form.projekte.entries:
        row = entry.form
        if row.entfernen.data:
            continue
        item = {k: (row[k].data or "").strip() for k in ("thema", "titel", "status", "link")}
        if not (item["thema"] or item["titel"] or item["link"]):
            continue  # a blank row
        if not item["thema"]:
            fail(row.thema, _("Bitte ein Thema für dieses Projekt wählen."))
            continue
        rows.append(row)
        projekte.append(item)
    if len(projekte) > MAX_PROJECTS and not form.projekte.overflow:
        form.projekte.errors = [
            _("Höchstens %(max)d Projekte passen in ein Profil.", max=MAX_PROJECTS),
        ]
        failed.append(form.projekte)
    obj["projekte"] = projekte
    try:
        data = parse_profile(obj, record=kommune.ags)
    except ProfileFormatError as exc:
        for issue in exc.issues:
            fail(_editor_field(form, rows, issue.loc), issue.message(_))
        data = None
    form.failed_fields = failed
    return None if failed else data


def _editor_field(form: ProfileEditorForm, rows: list, loc: tuple):
    """The form field an issue of the model belongs to."""
    head = loc[0] if loc else None
    if head in ("staerken", "bedarfe") and len(loc) > 1:
        slug = str(loc[1])
        name = strength_field_name(slug) if head == "staerken" else need_field_name(slug)
        if name in form:
            return form[name]
    if head == "projekte" and rows:
        row = rows[loc[1]] if len(loc) > 1 and isinstance(loc[1], int) and loc[1] < len(rows) else rows[-1]
        key = loc[2] if len(loc) > 2 and loc[2] in ("thema", "status", "titel", "link") else "thema"
        return row[key]
    if head in simple_fields():
        return form[head]
    return form.csrf_token  # goals and the key come from elsewhere; shown in the summary


def _topic_groups() -> list[tuple[str, list]]:
    return [(group, [t for t in TOPICS if t.group == group]) for group in TOPIC_GROUPS]


@dataclass(frozen=True)
class EditorGroup:
    """One topic group of the editor: its topics, how many levels are set, whether it is folded open."""

    name: str
    topics: tuple
    staerken: int
    bedarfe: int
    has_errors: bool
    open: bool


def _is_set(field) -> bool:
    return (field.data or "").strip() not in ("", "0")


def editor_groups(form: ProfileEditorForm) -> list[EditorGroup]:
    """The editor's topic groups; folded open where a level is set or an error is shown (the first
    group too when nothing is set yet, so the form shows its shape)."""
    groups = []
    for name, topics in _topic_groups():
        fields = [(form[strength_field_name(t.slug)], form[need_field_name(t.slug)]) for t in topics]
        staerken = sum(_is_set(s) for s, _b in fields)
        bedarfe = sum(_is_set(b) for _s, b in fields)
        errors = any(s.errors or b.errors for s, b in fields)
        is_open = bool(staerken or bedarfe or errors)
        groups.append(EditorGroup(name, tuple(topics), staerken, bedarfe, errors, is_open))
    if groups and not any(g.open for g in groups):
        groups[0] = dataclasses.replace(groups[0], open=True)
    return groups


def editor_summary(form: ProfileEditorForm, groups: list[EditorGroup]) -> str:
    """What is filled in, in one line: "Ausgefüllt: 5 Stärken, 3 Bedarfe, 2 Handlungsfelder, 1 Projekt"."""
    staerken = sum(g.staerken for g in groups)
    bedarfe = sum(g.bedarfe for g in groups)
    felder = len(form.handlungsfelder.data or [])
    projekte = sum(
        1
        for entry in form.projekte.entries
        if (entry.form.thema.data or "").strip() and not entry.form.entfernen.data
    )
    parts = [
        ngettext("%(num)d Stärke", "%(num)d Stärken", staerken),
        ngettext("%(num)d Bedarf", "%(num)d Bedarfe", bedarfe),
        ngettext("%(num)d Handlungsfeld", "%(num)d Handlungsfelder", felder),
        ngettext("%(num)d Projekt", "%(num)d Projekte", projekte),
    ]
    return _("Ausgefüllt: %(parts)s", parts=", ".join(parts))


@bp.route("/<ags>/bearbeiten", methods=["GET", "POST"])
@validates_own_text
def bearbeiten(ags: str):
    """Edit a Kommune's profile: only for those who may (members, coordinators, administrators)."""
    kommune = get_by_ags(ags)
    if kommune is None:
        abort(404)
    if not can_edit_profile(current_user, kommune.id):
        abort(403)
    profile = get_profile(kommune.id)
    estimated: set[str] = set()
    if profile is not None and profile.estimated:
        for topic in profile.topics:
            if topic.staerke:
                estimated.add(strength_field_name(topic.thema))
            if topic.bedarf:
                estimated.add(need_field_name(topic.thema))
    if request.method == "GET":
        form = ProfileEditorForm(data=_initial_editor_data(profile))
        status = 200
    else:
        form = ProfileEditorForm()
        if not form.validate_on_submit():
            abort(400)
        data = editor_to_profile(form, kommune, tuple(profile.ziele or ()) if profile else ())
        if data is not None:
            save_profile(kommune, data, user_id=current_user.id)
            db.session.commit()
            flash(_("Das Profil von %(name)s ist gespeichert.", name=kommune.name), "success")
            if "weiter" in request.form:
                return redirect(url_for(".bearbeiten", ags=kommune.ags) + "#projekte")
            return redirect(url_for("kommunen.detail", ags=kommune.ags))
        status = 422
    groups = editor_groups(form)
    return (
        render_template(
            "profile/bearbeiten.html",
            form=form,
            kommune=kommune,
            profile=profile,
            groups=groups,
            summary=editor_summary(form, groups),
            voice=kommune.display_name,
            estimated=estimated,
            failed=getattr(form, "failed_fields", []),
            strength_name=strength_field_name,
            need_name=need_field_name,
            type_label=shown_type_label(profile),
            topic_labels=TOPIC_LABELS,
            group_labels=TOPIC_GROUP_LABELS,
        ),
        status,
    )


# --------------------------------------------------------------------------- Kommune page section


def profile_section(kommune: Kommune) -> dict | None:
    """Context of the profile block on the Kommune page (hidden for Kreis rows of kreisfreie Städte)."""
    profile = get_profile(kommune.id)
    if profile is None and not is_matchable(kommune):
        return None
    can_edit = can_edit_profile(current_user, kommune.id)
    context = {"kommune": kommune, "profile": profile, "can_edit": can_edit}
    if profile is None:
        return context
    rows = []
    staerken, bedarfe = profile.staerken, profile.bedarfe
    for group, topics in _topic_groups():
        items = [
            (TOPIC_LABELS[t.slug], staerken.get(t.slug, 0), bedarfe.get(t.slug, 0))
            for t in topics
            if t.slug in staerken or t.slug in bedarfe
        ]
        if items:
            rows.append((TOPIC_GROUP_LABELS.get(group, group), items))
    context.update(
        type_label=shown_type_label(profile),
        type_motto=TYPE_MOTTOS_DE.get(profile.typ or ""),
        topic_groups=rows,
        strength_words=STRENGTH_WORDS,
        need_words=NEED_WORDS,
        status_labels=STATUS_LABELS,
        topic_labels=TOPIC_LABELS,
        felder=[HANDLUNGSFELD_LABELS[f] for f in profile.handlungsfelder or [] if f in HANDLUNGSFELD_LABELS],
        offen=[OPEN_FOR_LABELS[o] for o in profile.offen_fuer or [] if o in OPEN_FOR_LABELS],
    )
    return context


register_kommune_section("profile/section.html", profile_section, 20)


# --------------------------------------------------------------------------- bulk upload and export


def _render_import(form: UploadForm, status: int = 200, errors: ProfileImportError | None = None):
    return (
        render_template(
            "profile/import.html",
            form=form,
            formats=FORMATS,
            max_mb=upload_limit_mb(),
            errors=errors,
            gettext=_,
        ),
        status,
    )


@bp.route("/import", methods=["GET", "POST"])
@login_required
def import_page():
    """Upload a profile file (only Kommunen the uploader may edit); large files go through the worker."""
    if not _is_coordinator(current_user):
        abort(403)
    form = UploadForm()
    if request.method == "GET":
        return _render_import(form)
    if not form.validate_on_submit():
        abort(400)
    checked = check_upload(form.datei.data)
    if isinstance(checked, str):
        form.datei.errors = [checked]
        return _render_import(form, 422)
    allowed = _editable_ids(current_user)
    ids = None if allowed is None else sorted(allowed)
    if len(checked.content) > inline_limit():
        job = create_job(current_user.id, checked.name, checked.content)
        db.session.commit()
        if enqueue(run_import_task, job.id, ids):
            return redirect(url_for(".import_job", job_id=job.id), 303)
        db.session.delete(job)  # no broker: here and now instead
        db.session.commit()
    try:
        result = import_upload(current_user.id, checked.name, checked.content, ids)
    except ProfileImportError as exc:
        db.session.rollback()
        return _render_failed(exc)
    job = record_finished(current_user.id, checked.name, result)
    db.session.commit()
    return redirect(url_for(".import_job", job_id=job.id), 303)


def _render_failed(errors: ProfileImportError):
    """The import page again, with every problem of the file."""
    form = UploadForm()
    form.datei.errors = [
        ngettext(
            "Nichts wurde importiert: die Datei hat %(num)d Fehler (Liste oben).",
            "Nichts wurde importiert: die Datei hat %(num)d Fehler (Liste oben).",
            errors.count,
        )
    ]
    return _render_import(form, 422, errors)


@bp.get("/import/<int:job_id>")
@login_required
def import_job(job_id: int):
    """The outcome of an import: what changed (new, changed, unchanged, from demo data), or every error;
    while the worker imports, its progress."""
    job = get_job(job_id, current_user.id)
    if job is None:
        abort(404)
    if job.status == "fehler":
        return _render_failed(job_issues(job))
    return render_template("profile/import_ergebnis.html", job=job, result=job_result(job), gettext=_)


@bp.get("/import/<int:job_id>/stand.json")
@login_required
def import_job_status(job_id: int):
    """The progress of an import as JSON (the result page polls it while the worker runs)."""
    job = get_job(job_id, current_user.id)
    if job is None:
        abort(404)
    return jsonify({"status": job.status, "phase": job.phase, "done": job.done, "total": job.total})


@bp.get("/vorlage.xlsx")
def vorlage():
    """The Excel template; for a coordinator prefilled with their Kommunen (AGS, name, current values)."""
    rows = []
    if current_user.is_authenticated and not current_user.is_admin:
        ids = coordinated_kommune_ids(current_user) | acting_kommune_ids(current_user)
        if ids:
            kommunen = db.session.scalars(sa.select(Kommune).where(Kommune.id.in_(ids))).all()
            rows = template_rows(k for k in kommunen if is_matchable(k))
    buffer = io.BytesIO()
    write_template_xlsx(buffer, rows)
    response = download(buffer.getvalue(), "kommunalmatch-profilvorlage.xlsx", XLSX_MIMETYPE)
    if rows:
        response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/export.<fmt>")
@recent_login_required()
def export(fmt: str):
    """Download the profiles the user may edit (administrators: all) as CSV, XLSX, JSON or JSON Lines."""
    if fmt not in EXPORT_FORMATS:
        abort(404)
    if not _is_coordinator(current_user):
        abort(403)
    audit.record("profile.exported", details={"format": fmt})
    db.session.commit()
    profiles = profiles_for_export(_editable_ids(current_user))
    if fmt == "csv":
        content = profiles_csv(profiles)
    elif fmt == "xlsx":
        buffer = io.BytesIO()
        write_template_xlsx(buffer, profiles)
        content = buffer.getvalue()
    elif fmt == "json":
        content = (
            json.dumps([profile_to_dict(p, with_name=True) for p in profiles], ensure_ascii=False, indent=2)
            + "\n"
        ).encode()
    else:
        content = "".join(
            json.dumps(profile_to_dict(p, with_name=True), ensure_ascii=False) + "\n" for p in profiles
        ).encode()
    name = f"kommunalmatch-profile-{date.today().isoformat()}.{fmt}"
    return download(content, name, EXPORT_FORMATS[fmt])
