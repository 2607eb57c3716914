"""Profile services: the one way to read and write profiles (web, bulk import, demo, API).

Every write goes through `save_profile` (one profile) or `plattform.profile.bulk` (many), which send
`profile_saved` so that the suggestions of the Kommune are recomputed (the vorschlaege domain listens).
The mapping between the profile model and its storage is generic: every field of ``ProfileData`` that
names a column of ``Profile`` is stored there, strengths and needs as ``ProfileTopic`` rows, projects as
``ProfileProject`` rows (see "How to add a profile field" in docs/typtest.md).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from datetime import datetime
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from blinker import Namespace
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from matching.coldstart import estimate_profile
from matching.profiles import ProfileData, ProjectEntry, merge_profile
from matching.typology import TypeResult, TypeTestError, classify
from matching.vocabulary import TYPE_LABELS_DE
from plattform.core.clock import utcnow
from plattform.extensions import db
from plattform.kommunen.models import Kommune
from plattform.profile.formats import write_profiles
from plattform.profile.models import Profile, ProfileProject, ProfileTopic

_signals = Namespace()
# Sent after a profile was written and flushed, with kommune_ids=[...]; receivers must not commit.
profile_saved = _signals.signal("profile-saved")
# Stored as ProfileTopic and ProfileProject rows, not as columns of Profile.
ROW_FIELDS = ("staerken", "bedarfe", "projekte")


class UnknownKommuneError(ValueError):
    """A profile names an AGS that is not in the directory."""

    def __init__(self, ags: str, record: str | None = None):
        self.ags, self.record = ags, record
        message = _("AGS %(ags)s ist nicht im Gemeindeverzeichnis.", ags=ags)
        if record:
            message = _("Datensatz %(record)s, Feld 'ags': %(message)s", record=record, message=message)
        super().__init__(message)


# --------------------------------------------------------------------------- model <-> storage


@cache
def column_fields() -> tuple[str, ...]:
    """The fields of ProfileData kept in a column of the same name of the profile table."""
    columns = set(Profile.__table__.columns.keys())
    return tuple(f.name for f in dataclasses.fields(ProfileData) if f.name in columns)


@cache
def field_defaults() -> dict[str, Any]:
    """What a new profile gets for each field a record leaves out."""
    defaults = {}
    for f in dataclasses.fields(ProfileData):
        if f.default is not dataclasses.MISSING:
            defaults[f.name] = f.default
        elif f.default_factory is not dataclasses.MISSING:
            defaults[f.name] = f.default_factory()
    return defaults


def data_from_storage(
    ags: str,
    name: str | None,
    columns: Mapping[str, Any],
    topics: Iterable[tuple[str, int | None, int | None]],
    projects: Iterable[tuple[str, str, str, str | None]],
) -> ProfileData:
    """A stored profile as the model: column values, (thema, staerke, bedarf) and project rows."""
    defaults = field_defaults()
    values: dict[str, Any] = {}
    for key in column_fields():
        value = columns.get(key)
        if value is None:
            value = defaults[key]
        values[key] = tuple(value) if isinstance(value, list) else value
    topics = list(topics)
    return ProfileData(
        ags=ags,
        name=name,
        staerken={t: s for t, s, _b in topics if s},
        bedarfe={t: b for t, _s, b in topics if b},
        projekte=tuple(ProjectEntry(*p) for p in projects),
        **values,
    )


@lru_cache(maxsize=4096)
def _type_of(ziele: tuple[str, ...]) -> tuple[str | None, float | None, str | None]:
    if not ziele:
        return None, None, None
    result = classify(ziele)
    return result.typ, result.confidence, (result.second if result.mixed else None)


def profile_columns(
    data: ProfileData, *, estimated: bool, is_demo: bool, user_id: int | None, now: datetime
) -> dict[str, Any]:
    """The profile table's values for validated data (the type follows from the goals)."""
    values = {key: list(v) if isinstance(v := getattr(data, key), tuple) else v for key in column_fields()}
    values["typ"], values["typ_confidence"], values["typ_mixed_with"] = _type_of(tuple(data.ziele))
    values.update(estimated=estimated, is_demo=is_demo, updated_at=now, updated_by_id=user_id)
    return values


def topic_rows(data: ProfileData) -> list[dict[str, Any]]:
    """The ProfileTopic rows of a profile (one per topic with a strength or a need)."""
    levels: dict[str, list[int | None]] = {}
    for thema, level in data.staerken.items():
        levels.setdefault(thema, [None, None])[0] = level
    for thema, level in data.bedarfe.items():
        levels.setdefault(thema, [None, None])[1] = level
    return [{"thema": t, "staerke": s, "bedarf": b} for t, (s, b) in sorted(levels.items())]


def project_rows(data: ProfileData) -> list[dict[str, Any]]:
    """The ProfileProject rows of a profile, in its order."""
    return [{"thema": p.thema, "titel": p.titel, "status": p.status, "link": p.link} for p in data.projekte]


def get_profile(kommune_id: int) -> Profile | None:
    """The profile of a Kommune, if it has one."""
    return db.session.scalar(sa.select(Profile).where(Profile.kommune_id == kommune_id))


def profile_to_data(profile: Profile) -> ProfileData:
    """The engine's and the export's view of a stored profile (with the Kommune's name)."""
    return data_from_storage(
        profile.kommune.ags,
        profile.kommune.name,
        {key: getattr(profile, key) for key in column_fields()},
        [(t.thema, t.staerke, t.bedarf) for t in profile.topics],
        [(p.thema, p.status, p.titel, p.link) for p in profile.projects],
    )


def save_profile(
    kommune: Kommune,
    data: ProfileData,
    *,
    estimated: bool = False,
    is_demo: bool = False,
    user_id: int | None = None,
    notify: bool = True,
    mentioned: Iterable[str] | None = None,
) -> Profile:
    """Create or update a Kommune's profile from validated data; the caller commits.

    ``mentioned``: the fields the record named (the partial-record rule); the others keep their stored
    values. None means all fields (the editor sends the whole profile).
    """
    profile = get_profile(kommune.id)
    if profile is None:
        profile = Profile(kommune_id=kommune.id, kommune=kommune)
        db.session.add(profile)
    else:
        if mentioned is not None:
            data = merge_profile(profile_to_data(profile), data, mentioned)
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
    for column, value in profile_columns(
        data, estimated=estimated, is_demo=is_demo, user_id=user_id, now=utcnow()
    ).items():
        setattr(profile, column, value)
    profile.topics = [ProfileTopic(**row) for row in topic_rows(data)]
    profile.projects = [ProfileProject(**row) for row in project_rows(data)]


def _apply_type(profile: Profile, result: TypeResult) -> None:
    """Store a type test's result on the profile."""
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
        data = dataclasses.replace(
            base, ziele=tuple(ranked_goals), staerken=dict(estimate.staerken), bedarfe=dict(estimate.bedarfe)
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


def all_profiles() -> list[Profile]:
    """Every profile with its topics and projects loaded (for matching and exports)."""
    return list(
        db.session.scalars(
            sa.select(Profile).options(
                selectinload(Profile.topics), selectinload(Profile.projects), selectinload(Profile.kommune)
            )
        )
    )


def profiles_for_export(kommune_ids: Iterable[int] | None = None) -> list[ProfileData]:
    """The stored profiles (all, or those of ``kommune_ids``) as the model, sorted by AGS."""
    profiles = all_profiles()
    if kommune_ids is not None:
        allowed = set(kommune_ids)
        profiles = [p for p in profiles if p.kommune_id in allowed]
    return sorted((profile_to_data(p) for p in profiles), key=lambda d: d.ags)


def export_profile_file(path: str | Path, kommune_ids: Iterable[int] | None = None) -> int:
    """Write the profiles (all, or those of ``kommune_ids``) to a file; the format follows the extension."""
    profiles = profiles_for_export(kommune_ids)
    write_profiles(path, profiles)
    return len(profiles)


def template_rows(kommunen: Iterable[Kommune]) -> list[ProfileData | tuple[str, str]]:
    """Rows of the prefilled template: each Kommune's stored profile, or just its (AGS, name)."""
    kommunen = sorted(kommunen, key=lambda k: k.ags)
    stored = {d.ags: d for d in profiles_for_export({k.id for k in kommunen})}
    return [stored.get(k.ags) or (k.ags, k.name) for k in kommunen]
