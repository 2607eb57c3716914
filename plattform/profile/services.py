"""Profile services: the one way to read and write profiles (web, bulk import, demo, API).

Every write goes through `save_profile`, which sends `profile_saved` so that the suggestions of the
Kommune are recomputed (the vorschlaege domain listens).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import sqlalchemy as sa
from blinker import Namespace
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from matching.coldstart import estimate_profile
from matching.profiles import ProfileData, ProjectEntry
from matching.typology import TypeResult, TypeTestError, classify
from matching.vocabulary import TYPE_LABELS_DE
from plattform.core.clock import utcnow
from plattform.extensions import db
from plattform.kommunen.models import Kommune
from plattform.profile.formats import ProfileImportError, read_profiles_located, write_profiles
from plattform.profile.models import Profile, ProfileProject, ProfileTopic

_signals = Namespace()
# Sent after a profile was written and flushed, with kommune_ids=[...]; receivers must not commit.
profile_saved = _signals.signal("profile-saved")


class UnknownKommuneError(ValueError):
    """A profile names an AGS that is not in the directory."""

    def __init__(self, ags: str, record: str | None = None):
        self.ags, self.record = ags, record
        message = _("AGS %(ags)s ist nicht im Gemeindeverzeichnis.", ags=ags)
        if record:
            message = _("Datensatz %(record)s, Feld 'ags': %(message)s", record=record, message=message)
        super().__init__(message)


def get_profile(kommune_id: int) -> Profile | None:
    """The profile of a Kommune, if it has one."""
    return db.session.scalar(sa.select(Profile).where(Profile.kommune_id == kommune_id))


def profile_to_data(profile: Profile) -> ProfileData:
    """The engine's and the export's view of a stored profile."""
    return ProfileData(
        ags=profile.kommune.ags,
        ziele=tuple(profile.ziele or ()),
        handlungsfelder=tuple(profile.handlungsfelder or ()),
        staerken=profile.staerken,
        bedarfe=profile.bedarfe,
        projekte=tuple(ProjectEntry(p.thema, p.status, p.titel, p.link) for p in profile.projects),
        offen_fuer=tuple(profile.offen_fuer or ()),
        reichweite_km=profile.reichweite_km,
    )


def save_profile(
    kommune: Kommune,
    data: ProfileData,
    *,
    estimated: bool = False,
    is_demo: bool = False,
    user_id: int | None = None,
    notify: bool = True,
) -> Profile:
    """Create or replace a Kommune's profile from validated data; the caller commits."""
    profile = get_profile(kommune.id)
    if profile is None:
        profile = Profile(kommune_id=kommune.id, kommune=kommune)
        db.session.add(profile)
    else:
        _clear_rows([profile])
    _fill(profile, data, estimated=estimated, is_demo=is_demo, user_id=user_id)
    db.session.flush()
    if notify:
        profile_saved.send(None, kommune_ids=[kommune.id])
    return profile


def _clear_rows(profiles: list[Profile]) -> None:
    """Delete the old topic and project rows of stored profiles before new ones are added.

    The unit of work would insert new (profile, thema) rows before deleting orphans and trip the
    unique constraint, hence one flush in between.
    """
    for profile in profiles:
        profile.topics.clear()
        profile.projects.clear()
    db.session.flush()


def _fill(
    profile: Profile, data: ProfileData, *, estimated: bool, is_demo: bool, user_id: int | None
) -> None:
    """Copy validated data onto a profile whose topic and project rows are empty."""
    profile.ziele = list(data.ziele)
    if data.ziele:
        _apply_type(profile, classify(data.ziele))
    profile.handlungsfelder = list(data.handlungsfelder)
    profile.offen_fuer = list(data.offen_fuer)
    profile.reichweite_km = data.reichweite_km
    profile.estimated = estimated
    profile.is_demo = is_demo
    profile.updated_at = utcnow()
    profile.updated_by_id = user_id
    levels: dict[str, list[int | None]] = {}
    for thema, level in data.staerken.items():
        levels.setdefault(thema, [None, None])[0] = level
    for thema, level in data.bedarfe.items():
        levels.setdefault(thema, [None, None])[1] = level
    profile.topics = [ProfileTopic(thema=t, staerke=s, bedarf=b) for t, (s, b) in sorted(levels.items())]
    profile.projects = [
        ProfileProject(thema=p.thema, titel=p.titel, status=p.status, link=p.link) for p in data.projekte
    ]


def _apply_type(profile: Profile, result: TypeResult) -> None:
    profile.typ = result.typ
    profile.typ_confidence = result.confidence
    profile.typ_mixed_with = result.second if result.mixed else None


def profile_type_label(profile: Profile | None) -> str | None:
    """'Die Optimierer', or the mixed label, of a stored profile (web page and API)."""
    if profile is None or not profile.typ:
        return None
    if profile.ziele:
        try:
            return classify(profile.ziele).label_de
        except TypeTestError:
            pass
    return TYPE_LABELS_DE.get(profile.typ, profile.typ)


def apply_type_test(kommune: Kommune, ranked_goals: list[str], user_id: int | None = None) -> TypeResult:
    """Record the type test; a Kommune without own strengths and needs gets the cold-start estimate."""
    result = classify(ranked_goals)
    profile = get_profile(kommune.id)
    if profile is None or (not profile.topics) or profile.estimated:
        estimate = estimate_profile(result.typ)
        base = profile_to_data(profile) if profile is not None else ProfileData(ags=kommune.ags)
        data = ProfileData(
            ags=kommune.ags,
            ziele=tuple(ranked_goals),
            handlungsfelder=base.handlungsfelder,
            staerken=dict(estimate.staerken),
            bedarfe=dict(estimate.bedarfe),
            projekte=base.projekte,
            offen_fuer=base.offen_fuer,
            reichweite_km=base.reichweite_km,
        )
        save_profile(kommune, data, estimated=True, user_id=user_id)
    else:
        profile.ziele = list(ranked_goals)
        _apply_type(profile, result)
        profile.updated_at = utcnow()
        profile.updated_by_id = user_id
        db.session.flush()
        profile_saved.send(None, kommune_ids=[kommune.id])
    return result


def import_profiles(profiles: Iterable[ProfileData], *, is_demo: bool = False) -> int:
    """Write many validated profiles in one transaction: all or nothing (an unknown AGS aborts)."""
    profiles = list(profiles)
    by_ags = {
        k.ags: k
        for k in db.session.scalars(sa.select(Kommune).where(Kommune.ags.in_([p.ags for p in profiles])))
    }
    for number, data in enumerate(profiles, start=1):
        if data.ags not in by_ags:
            raise UnknownKommuneError(data.ags, record=str(number))
    try:
        # Load the stored profiles with their rows in three queries, clear them with one flush,
        # then write everything with one more: per-profile queries made 500 profiles take seconds.
        kommune_ids = [by_ags[p.ags].id for p in profiles]
        stored = {
            p.kommune_id: p
            for p in db.session.scalars(
                sa.select(Profile)
                .where(Profile.kommune_id.in_(kommune_ids))
                .options(selectinload(Profile.topics), selectinload(Profile.projects))
            )
        }
        _clear_rows(list(stored.values()))
        for data in profiles:
            kommune = by_ags[data.ags]
            profile = stored.get(kommune.id)
            if profile is None:
                profile = Profile(kommune_id=kommune.id, kommune=kommune)
                db.session.add(profile)
            _fill(profile, data, estimated=False, is_demo=is_demo, user_id=None)
        db.session.flush()
        profile_saved.send(None, kommune_ids=kommune_ids)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return len(profiles)


def all_profiles() -> list[Profile]:
    """Every profile with its topics and projects loaded (for matching and exports)."""
    return list(
        db.session.scalars(
            sa.select(Profile).options(
                selectinload(Profile.topics), selectinload(Profile.projects), selectinload(Profile.kommune)
            )
        )
    )


def import_profile_file(
    path: str | Path,
    *,
    display_name: str | None = None,
    may_edit: Callable[[Kommune], bool] | None = None,
) -> int:
    """Import a profile file (JSON, JSON Lines, CSV, XLSX) all-or-nothing; the CLI and the upload page.

    Raises ProfileImportError naming the file (``display_name``, e.g. the uploaded name), the line or
    record and the field: for a bad record, an AGS not in the directory, or a Kommune that
    ``may_edit`` refuses. Nothing is written unless every record passes.
    """
    path = Path(path)
    name = display_name or path.name
    try:
        located = read_profiles_located(path)
    except ProfileImportError as exc:
        if name == exc.file:
            raise
        raise ProfileImportError(
            name, exc.message_de, line=exc.line, record=exc.record, field=exc.field
        ) from None
    wanted = [data.ags for _where, data in located]
    by_ags = {k.ags: k for k in db.session.scalars(sa.select(Kommune).where(Kommune.ags.in_(wanted)))}
    for where, data in located:
        kommune = by_ags.get(data.ags)
        if kommune is None:
            raise ProfileImportError(
                name, _("AGS %(ags)s ist nicht im Gemeindeverzeichnis.", ags=data.ags), field="ags", **where
            )
        if may_edit is not None and not may_edit(kommune):
            raise ProfileImportError(
                name,
                _(
                    "Sie dürfen das Profil von %(name)s (%(ags)s) nicht bearbeiten. "
                    "Es wurde nichts importiert.",
                    name=kommune.name,
                    ags=kommune.ags,
                ),
                field="ags",
                **where,
            )
    return import_profiles([data for _where, data in located])


def export_profile_file(path: str | Path, kommune_ids: Iterable[int] | None = None) -> int:
    """Write the profiles (all, or those of ``kommune_ids``) to a file; the format follows the extension."""
    profiles = all_profiles()
    if kommune_ids is not None:
        allowed = set(kommune_ids)
        profiles = [p for p in profiles if p.kommune_id in allowed]
    profiles.sort(key=lambda p: p.kommune.ags)
    write_profiles(path, [profile_to_data(p) for p in profiles])
    return len(profiles)
