"""Bulk profile import at the speed of the database: one validation pass, set-wise writes, all or nothing.

``import_records`` takes the validated records of a file (``formats.read_profile_records``), checks in one
pass that every AGS is in the directory and may be edited (every refusal reported at once), reads the
stored profiles in three queries, applies the partial-record rule (a record changes the fields it
mentions, the rest stays), classifies each record as new, changed or unchanged, and writes only what
changed: one DELETE of the old topic and project rows, the profile rows by executemany (UPDATE) and
COPY (PostgreSQL) or executemany (SQLite) for the new ones, then the topic and project rows the same
way. Everything runs on the session's connection inside the caller's transaction, so a failure rolls
back all of it; the caller commits (with its audit entry).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from matching.profiles import ProfileData, merge_profile
from plattform.core.clock import utcnow
from plattform.extensions import db
from plattform.i18n import N_
from plattform.kommunen.models import Kommune
from plattform.profile.formats import (
    FileIssue,
    IssueCollector,
    ProfileRecord,
    read_profile_records,
)
from plattform.profile.models import Profile, ProfileProject, ProfileTopic
from plattform.profile.services import (
    UnknownKommuneError,
    column_fields,
    data_from_storage,
    profile_columns,
    profile_saved,
    project_rows,
    topic_rows,
)

# Rows per statement of the set-wise reads and deletes (well below SQLite's limit of bound variables).
CHUNK = 2000
Progress = Callable[[str, int, int], None]


@dataclass
class ImportResult:
    """What an import changed, Kommune by Kommune (AGS and name), for the result page and the CLI."""

    new: list[tuple[str, str]] = field(default_factory=list)
    changed: list[tuple[str, str]] = field(default_factory=list)
    unchanged: list[tuple[str, str]] = field(default_factory=list)
    # Changed profiles that were demo data and are now the Kommune's own (a subset of ``changed``).
    from_demo: list[tuple[str, str]] = field(default_factory=list)
    # Spreadsheet rows with nothing but AGS and name: left alone.
    skipped: list[tuple[str, str]] = field(default_factory=list)

    @property
    def written(self) -> int:
        """Profiles created or changed."""
        return len(self.new) + len(self.changed)

    @property
    def total(self) -> int:
        """Records read."""
        return len(self.new) + len(self.changed) + len(self.unchanged) + len(self.skipped)

    def summary(self, gettext=None) -> str:
        """'Import abgeschlossen: 3 neu, 1 geändert, 5 unverändert.' in the language of ``gettext``."""
        template = N_("Import abgeschlossen: %(new)s neu, %(changed)s geändert, %(unchanged)s unverändert.")
        params = {"new": len(self.new), "changed": len(self.changed), "unchanged": len(self.unchanged)}
        return gettext(template, **params) if gettext else template % params

    def to_json(self) -> dict:
        """For an import job's stored result."""
        return {k: [list(pair) for pair in getattr(self, k)] for k in self.__dataclass_fields__}

    @classmethod
    def from_json(cls, data: dict) -> ImportResult:
        """The inverse of ``to_json``."""
        return cls(**{k: [tuple(pair) for pair in data.get(k, [])] for k in cls.__dataclass_fields__})


def _chunks(items: Sequence, size: int = CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _kommunen_by_ags(ags_list: Sequence[str]) -> dict[str, tuple[int, str]]:
    """AGS -> (id, name) of the directory, in chunks."""
    out: dict[str, tuple[int, str]] = {}
    for part in _chunks(list(ags_list)):
        for kid, ags, name in db.session.execute(
            sa.select(Kommune.id, Kommune.ags, Kommune.name).where(Kommune.ags.in_(part))
        ):
            out[ags] = (kid, name)
    return out


@dataclass
class _Stored:
    profile_id: int
    is_demo: bool
    estimated: bool
    data: ProfileData | None  # None when the stored row does not pass the model any more


def _stored_profiles(kommunen: dict[int, tuple[str, str]]) -> dict[int, _Stored]:
    """The stored profiles of these Kommunen (id -> (ags, name)) in three set-wise queries."""
    p = Profile.__table__
    cols = [p.c[name] for name in column_fields()]
    rows: dict[int, tuple] = {}
    for part in _chunks(list(kommunen)):
        for row in db.session.execute(
            sa.select(p.c.id, p.c.kommune_id, p.c.is_demo, p.c.estimated, *cols).where(
                p.c.kommune_id.in_(part)
            )
        ):
            rows[row.id] = row
    topics: dict[int, list] = {pid: [] for pid in rows}
    projects: dict[int, list] = {pid: [] for pid in rows}
    t, pr = ProfileTopic.__table__, ProfileProject.__table__
    for part in _chunks(list(rows)):
        for pid, thema, staerke, bedarf in db.session.execute(
            sa.select(t.c.profile_id, t.c.thema, t.c.staerke, t.c.bedarf).where(t.c.profile_id.in_(part))
        ):
            topics[pid].append((thema, staerke, bedarf))
        for pid, thema, status, titel, link in db.session.execute(
            sa.select(pr.c.profile_id, pr.c.thema, pr.c.status, pr.c.titel, pr.c.link)
            .where(pr.c.profile_id.in_(part))
            .order_by(pr.c.id)
        ):
            projects[pid].append((thema, status, titel, link))
    out = {}
    for pid, row in rows.items():
        ags, name = kommunen[row.kommune_id]
        try:
            data = data_from_storage(
                ags, name, {c: getattr(row, c) for c in column_fields()}, topics[pid], projects[pid]
            )
        except ValueError:
            data = None
        out[row.kommune_id] = _Stored(pid, bool(row.is_demo), bool(row.estimated), data)
    return out


def import_records(
    records: Sequence[ProfileRecord],
    *,
    file: str,
    may_edit: Callable[[int], bool] | None = None,
    refusal: str = N_("Sie dürfen das Profil von %(name)s (%(ags)s) nicht bearbeiten."),
    is_demo: bool = False,
    user_id: int | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Check and write validated records, all or nothing; the caller commits (or rolls back).

    Raises ProfileImportError listing every record whose AGS is not in the directory or that
    ``may_edit(kommune_id)`` refuses (with the message ``refusal``, given %(name)s and %(ags)s).
    Sends ``profile_saved`` for the profiles it wrote.
    """
    report = progress or (lambda _phase, _done, _total: None)
    by_ags = _kommunen_by_ags([r.data.ags for r in records])
    collector = IssueCollector(file)
    for record in records:
        found = by_ags.get(record.data.ags)
        if found is None:
            collector.add(
                FileIssue(
                    N_("AGS %(ags)s ist nicht im Gemeindeverzeichnis."),
                    {"ags": record.data.ags},
                    field="ags",
                    **record.where,
                )
            )
        elif may_edit is not None and not may_edit(found[0]):
            collector.add(
                FileIssue(
                    refusal,
                    {"name": found[1], "ags": record.data.ags},
                    field="ags",
                    **record.where,
                )
            )
    collector.raise_if_any()
    report("pruefen", len(records), len(records))

    stored = _stored_profiles({kid: (ags, name) for ags, (kid, name) in by_ags.items()})
    result = ImportResult()
    to_insert: list[tuple[int, ProfileData]] = []
    to_update: list[tuple[_Stored, ProfileData]] = []
    for record in records:
        kid, name = by_ags[record.data.ags]
        pair = (record.data.ags, name)
        if record.empty:
            result.skipped.append(pair)
            continue
        old = stored.get(kid)
        if old is None:
            to_insert.append((kid, record.data))
            result.new.append(pair)
            continue
        merged = merge_profile(old.data, record.data, record.mentioned) if old.data else record.data
        # Unchanged content stays as it is, origin included: a demo profile read back unchanged stays
        # demo data, an estimate read back unchanged stays an estimate.
        if old.data is not None and merged == old.data:
            result.unchanged.append(pair)
            continue
        to_update.append((old, merged))
        result.changed.append(pair)
        if old.is_demo and not is_demo:
            result.from_demo.append(pair)
    _write(to_insert, to_update, is_demo=is_demo, user_id=user_id, report=report)
    written = [kid for kid, _d in to_insert] + [by_ags[d.ags][0] for _s, d in to_update]
    if written:
        profile_saved.send(None, kommune_ids=written)
    return result


def _write(
    to_insert: list[tuple[int, ProfileData]],
    to_update: list[tuple[_Stored, ProfileData]],
    *,
    is_demo: bool,
    user_id: int | None,
    report: Progress,
) -> None:
    """Replace the changed profiles and create the new ones, set-wise, on the session's connection."""
    if not to_insert and not to_update:
        return
    db.session.flush()
    conn = db.session.connection()
    now = utcnow()
    total = len(to_insert) + len(to_update)
    p, t, pr = Profile.__table__, ProfileTopic.__table__, ProfileProject.__table__
    old_ids = [s.profile_id for s, _d in to_update]
    for part in _chunks(old_ids):
        conn.execute(t.delete().where(t.c.profile_id.in_(part)))
        conn.execute(pr.delete().where(pr.c.profile_id.in_(part)))
    if to_update:
        values = []
        for s, data in to_update:
            row = profile_columns(data, estimated=False, is_demo=is_demo, user_id=user_id, now=now)
            values.append({**{f"v_{k}": v for k, v in row.items()}, "b_id": s.profile_id})
        keys = list(
            profile_columns(to_update[0][1], estimated=False, is_demo=is_demo, user_id=user_id, now=now)
        )
        stmt = (
            p.update().where(p.c.id == sa.bindparam("b_id")).values({k: sa.bindparam(f"v_{k}") for k in keys})
        )
        conn.execute(stmt, values)
    report("schreiben", len(to_update), total)
    new_ids: list[int] = []
    if to_insert:
        rows = [
            {
                "kommune_id": kid,
                "created_at": now,
                **profile_columns(data, estimated=False, is_demo=is_demo, user_id=user_id, now=now),
            }
            for kid, data in to_insert
        ]
        _insert(conn, p, rows)
        ids = {}
        for part in _chunks([kid for kid, _d in to_insert]):
            ids.update(conn.execute(sa.select(p.c.kommune_id, p.c.id).where(p.c.kommune_id.in_(part))).all())
        new_ids = [ids[kid] for kid, _d in to_insert]
    report("schreiben", total, total)
    pairs = [(s.profile_id, d) for s, d in to_update] + list(
        zip(new_ids, (d for _k, d in to_insert), strict=True)
    )
    _insert(conn, t, [{"profile_id": pid, **row} for pid, data in pairs for row in topic_rows(data)])
    _insert(conn, pr, [{"profile_id": pid, **row} for pid, data in pairs for row in project_rows(data)])
    # The ORM may hold profiles of these Kommunen from before: they are stale now.
    db.session.expire_all()


def _insert(conn: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """Insert many rows: COPY on PostgreSQL, executemany elsewhere."""
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        conn.execute(table.insert(), rows)
        return
    columns = list(rows[0])
    json_columns = {c.name for c in table.columns if isinstance(c.type, sa.JSON)}
    raw = conn.connection.driver_connection
    names = ", ".join(f'"{c}"' for c in columns)
    with raw.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(
                [json.dumps(row[c], ensure_ascii=False) if c in json_columns else row[c] for c in columns]
            )


# --------------------------------------------------------------------------- entrances


def import_profile_file(
    path: str | Path,
    *,
    display_name: str | None = None,
    may_edit: Callable[[int], bool] | None = None,
    refusal: str | None = None,
    user_id: int | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Import a profile file (JSON, JSON Lines, CSV, XLSX) all-or-nothing; the caller commits.

    Raises ProfileImportError naming the file (``display_name``, e.g. the uploaded name) and every
    bad record, AGS not in the directory, or Kommune that ``may_edit`` refuses.
    """
    name = display_name or Path(path).name
    records = read_profile_records(path, display_name=name)
    extra = {"refusal": refusal} if refusal else {}
    return import_records(records, file=name, may_edit=may_edit, user_id=user_id, progress=progress, **extra)


def import_profiles(profiles: Iterable[ProfileData], *, is_demo: bool = False) -> int:
    """Write many validated profiles (every field as given) in one transaction and commit: all or nothing.

    For the demo, benchmarks and the network member import; an AGS outside the directory raises
    UnknownKommuneError and nothing is written.
    """
    profiles = list(profiles)
    every_field = frozenset(column_fields()) | {"staerken", "bedarfe", "projekte"}
    records = [ProfileRecord({"record": i}, p, every_field) for i, p in enumerate(profiles, start=1)]
    known = _kommunen_by_ags([p.ags for p in profiles])
    for record in records:
        if record.data.ags not in known:
            raise UnknownKommuneError(record.data.ags, record=str(record.where["record"]))
    try:
        result = import_records(records, file="-", is_demo=is_demo)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return result.written + len(result.unchanged)
