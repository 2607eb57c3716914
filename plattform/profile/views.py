"""Profile pages: the type test and its result, the profile editor, the Kommune page section,
and the spreadsheet upload and export for coordinators."""

from __future__ import annotations

import io
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from matching.coldstart import estimate_profile
from matching.profiles import (
    DEFAULT_REICHWEITE_KM,
    MAX_PROJECTS,
    ProfileData,
    ProfileFormatError,
    parse_profile,
)
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
    GOAL_LABELS_DE,
    HANDLUNGSFELD_LABELS_DE,
    OPEN_FOR,
    OPEN_FOR_LABELS_DE,
    TOPIC_GROUPS,
    TOPIC_LABELS_DE,
    TOPICS,
    TYPE_LABELS_DE,
    TYPES,
)
from plattform.accounts.permissions import (
    acting_kommune_ids,
    can_edit_profile,
    coordinated_kommune_ids,
    recent_login_required,
)
from plattform.core import audit
from plattform.core.forms import parse_form_int
from plattform.core.navigation import register_nav
from plattform.core.routing import MAX_ID
from plattform.extensions import db
from plattform.kommunen.models import Kommune
from plattform.kommunen.sections import register_kommune_section
from plattform.kommunen.services import KREIS_KINDS_MATCHABLE, get_by_ags
from plattform.profile import bp
from plattform.profile.formats import FORMATS, ProfileImportError, write_template_xlsx
from plattform.profile.forms import (
    GOAL_FIELDS,
    NEED_WORDS,
    STATUS_LABELS,
    STRENGTH_WORDS,
    ProfileEditorForm,
    TypeTestForm,
    UploadForm,
    need_field_name,
    strength_field_name,
)
from plattform.profile.models import Profile
from plattform.profile.services import (
    apply_type_test,
    export_profile_file,
    get_profile,
    import_profile_file,
    profile_type_label,
    save_profile,
)
from plattform.profile.uploads import check_upload, upload_limit_mb

# Blank project rows the editor offers below the existing ones ("add more by saving").
BLANK_PROJECT_ROWS = 2
EXPORT_FORMATS = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
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
        topics = tuple(TOPIC_LABELS_DE[t] for t in wants if t in PERSONA_CAN_TEACH[other])
        if topics:
            learn_from.append((TYPE_LABELS_DE[other], topics))
    return TypeCard(
        typ=typ,
        label=TYPE_LABELS_DE[typ],
        motto=TYPE_MOTTOS_DE[typ],
        found_as=TYPE_FOUND_AS_DE[typ],
        defining_goals=tuple(GOAL_LABELS_DE[g] for g in DEFINING_GOALS[typ]),
        can_teach=PERSONA_CAN_TEACH_DE[typ],
        wants_to_learn=PERSONA_WANTS_TO_LEARN_DE[typ],
        learn_from=tuple(learn_from),
    )


def confidence_words(result: TypeResult) -> str:
    """The confidence of a result in plain German words (the number alone means little)."""
    second = TYPE_LABELS_DE[result.second]
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
    kommunen.sort(key=lambda k: (k.ebene != "gemeinde", k.name))
    return [(k.ags, f"{k.name} ({_(k.kind_label)})") for k in kommunen]


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
    """The type test: rank the three most important goals; save for a Kommune if allowed."""
    ags_param = request.args.get("ags") or None
    choices = _kommune_choices(current_user, ags_param)
    form = TypeTestForm(kommune_choices=choices)
    if request.method == "GET":
        allowed = {ags for ags, _label in choices}
        if ags_param in allowed:
            form.kommune.data = ags_param
        elif len(choices) == 1:
            form.kommune.data = choices[0][0]
        existing = get_by_ags(form.kommune.data) if form.kommune.data else None
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
        goals=[GOAL_LABELS_DE[g] for g in goals],
        card=type_card(result.typ),
        second_card=type_card(result.second) if result.mixed else None,
        confidence_text=confidence_words(result),
        confidence_percent=round(result.confidence * 100),
        estimate_strengths=[TOPIC_LABELS_DE[t] for t in estimate.staerken],
        estimate_needs=[TOPIC_LABELS_DE[t] for t in estimate.bedarfe],
        kommune=kommune,
        citation=STUDY_CITATION_DE,
    )


# --------------------------------------------------------------------------- profile editor


def _initial_editor_data(profile: Profile | None) -> dict:
    """Values to pre-fill: the stored (or estimated) profile, else sensible defaults."""
    data: dict = {
        "handlungsfelder": [],
        "offen_fuer": list(OPEN_FOR),
        "reichweite_km": str(DEFAULT_REICHWEITE_KM),
        "projekte": [],
    }
    if profile is not None:
        data["handlungsfelder"] = list(profile.handlungsfelder or [])
        data["offen_fuer"] = list(profile.offen_fuer or [])
        data["reichweite_km"] = str(profile.reichweite_km)
        for topic in profile.topics:
            data[strength_field_name(topic.thema)] = str(topic.staerke or 0)
            data[need_field_name(topic.thema)] = str(topic.bedarf or 0)
        data["projekte"] = [
            {"thema": p.thema, "titel": p.titel, "status": p.status, "link": p.link or ""}
            for p in profile.projects
        ]
    data["projekte"] += [{"thema": "", "titel": "", "status": "geplant", "link": ""}] * BLANK_PROJECT_ROWS
    return data


def _level_value(raw: str | None):
    """'' and '0' mean 'not set'; digits become ints; anything else goes to the validator as it is."""
    raw = (raw or "").strip()
    if raw in ("", "0"):
        return None
    number = parse_form_int(raw, minimum=0, maximum=MAX_ID)
    if number == 0:
        return None
    return raw if number is None else number


def _reach_value(raw: str | None):
    """The reach field as a number ('60', '60,5'); empty means the default, junk goes to the validator."""
    raw = (raw or "").strip().removesuffix("km").strip()
    if not raw:
        return DEFAULT_REICHWEITE_KM
    try:
        return int(raw)
    except ValueError:
        try:
            return float(raw.replace(",", "."))
        except ValueError:
            return raw


def editor_to_profile(
    form: ProfileEditorForm, kommune: Kommune, ziele: tuple[str, ...]
) -> ProfileData | None:
    """Validate the editor with parse_profile, field by field, so every error lands next to its field.

    Returns the profile, or None after setting ``errors`` on each offending field.
    """
    ags = kommune.ags
    failed = []

    def check(field, piece: dict) -> bool:
        try:
            parse_profile({"ags": ags, **piece}, record=ags)
        except ProfileFormatError as exc:
            field.errors = [exc.message_de]
            failed.append(field)
            return False
        return True

    staerken: dict = {}
    bedarfe: dict = {}
    for topic in TOPICS:
        for name, key, dest in (
            (strength_field_name(topic.slug), "staerken", staerken),
            (need_field_name(topic.slug), "bedarfe", bedarfe),
        ):
            value = _level_value(form[name].data)
            if value is not None and check(form[name], {key: {topic.slug: value}}):
                dest[topic.slug] = value
    felder = list(form.handlungsfelder.data or [])
    check(form.handlungsfelder, {"handlungsfelder": felder})
    offen = list(form.offen_fuer.data or [])
    check(form.offen_fuer, {"offen_fuer": offen})
    reach = _reach_value(form.reichweite_km.data)
    check(form.reichweite_km, {"reichweite_km": reach})
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
        thema = (row.thema.data or "").strip()
        titel = (row.titel.data or "").strip()
        link = (row.link.data or "").strip()
        if not (thema or titel or link):
            continue  # a blank row
        if not thema:
            row.thema.errors = [_("Bitte ein Thema für dieses Projekt wählen.")]
            failed.append(row.thema)
            continue
        item = {"thema": thema, "status": (row.status.data or "").strip(), "titel": titel, "link": link}
        try:
            parse_profile({"ags": ags, "projekte": [item]}, record=ags)
        except ProfileFormatError as exc:
            sub = exc.field.rsplit(".", 1)[-1]
            target = row[sub] if sub in ("thema", "status", "titel", "link") else row.thema
            target.errors = [exc.message_de]
            failed.append(target)
            continue
        projekte.append(item)
    if len(projekte) > MAX_PROJECTS and not form.projekte.overflow:
        form.projekte.errors = [
            _("Höchstens %(max)d Projekte passen in ein Profil.", max=MAX_PROJECTS),
        ]
        failed.append(form.projekte)
    form.failed_fields = failed
    if failed:
        return None
    obj = {
        "ags": ags,
        "ziele": list(ziele),
        "handlungsfelder": felder,
        "staerken": staerken,
        "bedarfe": bedarfe,
        "projekte": projekte,
        "offen_fuer": offen,
        "reichweite_km": reach,
    }
    return parse_profile(obj, record=ags)


def _topic_groups() -> list[tuple[str, list]]:
    return [(group, [t for t in TOPICS if t.group == group]) for group in TOPIC_GROUPS]


@bp.route("/<ags>/bearbeiten", methods=["GET", "POST"])
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
    return (
        render_template(
            "profile/bearbeiten.html",
            form=form,
            kommune=kommune,
            profile=profile,
            groups=_topic_groups(),
            estimated=estimated,
            failed=getattr(form, "failed_fields", []),
            strength_name=strength_field_name,
            need_name=need_field_name,
            type_label=profile_type_label(profile),
        ),
        status,
    )


# --------------------------------------------------------------------------- Kommune page section


def _is_matchable(kommune: Kommune) -> bool:
    return kommune.ebene == "gemeinde" or kommune.kind in KREIS_KINDS_MATCHABLE


def profile_section(kommune: Kommune) -> dict | None:
    """Context of the profile block on the Kommune page (hidden for Kreis rows of kreisfreie Städte)."""
    profile = get_profile(kommune.id)
    if profile is None and not _is_matchable(kommune):
        return None
    can_edit = can_edit_profile(current_user, kommune.id)
    context = {"kommune": kommune, "profile": profile, "can_edit": can_edit}
    if profile is None:
        return context
    rows = []
    staerken, bedarfe = profile.staerken, profile.bedarfe
    for group, topics in _topic_groups():
        items = [
            (t.label_de, staerken.get(t.slug, 0), bedarfe.get(t.slug, 0))
            for t in topics
            if t.slug in staerken or t.slug in bedarfe
        ]
        if items:
            rows.append((group, items))
    context.update(
        type_label=profile_type_label(profile),
        type_motto=TYPE_MOTTOS_DE.get(profile.typ or ""),
        topic_groups=rows,
        strength_words=STRENGTH_WORDS,
        need_words=NEED_WORDS,
        status_labels=STATUS_LABELS,
        topic_labels=TOPIC_LABELS_DE,
        felder=[
            HANDLUNGSFELD_LABELS_DE[f] for f in profile.handlungsfelder or [] if f in HANDLUNGSFELD_LABELS_DE
        ],
        offen=[OPEN_FOR_LABELS_DE[o] for o in profile.offen_fuer or [] if o in OPEN_FOR_LABELS_DE],
    )
    return context


register_kommune_section("profile/section.html", profile_section, 20)


# --------------------------------------------------------------------------- bulk upload and export


@bp.route("/import", methods=["GET", "POST"])
@login_required
def import_page():
    """Upload a profile spreadsheet (only Kommunen the uploader may edit); links to template and export."""
    if not _is_coordinator(current_user):
        abort(403)
    form = UploadForm()
    status = 200
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        checked = check_upload(form.datei.data)
        if isinstance(checked, str):
            form.datei.errors = [checked]
            status = 422
        else:
            name, ext, content = checked.name, checked.ext, checked.content
            allowed = _editable_ids(current_user)
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / f"upload{ext}"
                path.write_bytes(content)
                try:
                    count = import_profile_file(
                        path,
                        display_name=name,
                        may_edit=None if allowed is None else (lambda k: k.id in allowed),
                    )
                except ProfileImportError as exc:
                    db.session.rollback()
                    form.datei.errors = [_("Nichts wurde importiert. %(error)s", error=str(exc))]
                    status = 422
                else:
                    audit.record("profile.imported", details={"datei": name, "anzahl": count})
                    db.session.commit()
                    flash(_("%(count)s Profile aus %(name)s importiert.", count=count, name=name), "success")
                    return redirect(url_for(".import_page"))
    return render_template(
        "profile/import.html", form=form, formats=FORMATS, max_mb=upload_limit_mb()
    ), status


@bp.get("/vorlage.xlsx")
def vorlage():
    """The empty Excel template with help row and slug lists (public: coordinators pass it on)."""
    buffer = io.BytesIO()
    write_template_xlsx(buffer)
    buffer.seek(0)
    return send_file(
        buffer,
        mimetype=EXPORT_FORMATS["xlsx"],
        as_attachment=True,
        download_name="kommunalmatch-profilvorlage.xlsx",
    )


@bp.get("/export.<fmt>")
@recent_login_required()
def export(fmt: str):
    """Download the profiles the user may edit (administrators: all) as CSV or XLSX."""
    if fmt not in EXPORT_FORMATS:
        abort(404)
    if not _is_coordinator(current_user):
        abort(403)
    audit.record("profile.exported", details={"format": fmt})
    db.session.commit()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"profile.{fmt}"
        export_profile_file(path, _editable_ids(current_user))
        content = path.read_bytes()
    return send_file(
        io.BytesIO(content),
        mimetype=EXPORT_FORMATS[fmt],
        as_attachment=True,
        download_name=f"kommunalmatch-profile-{date.today().isoformat()}.{fmt}",
    )
