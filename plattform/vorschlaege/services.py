"""Suggestion services: rows → engine arrays → stored runs, the atomic swap, updates, feedback, reads.

A full recompute writes a new SuggestionRun in the background ("laeuft") and then, in one transaction,
points MatchingState at it and marks it "fertig". Readers always read the run MatchingState points at,
so they see the old run until the new one is complete; a failure marks the new run "fehlgeschlagen"
and never touches the pointer. The pointer only moves forward (to a run with a higher id, i.e. one
started later), so of two recomputes running at once the older one cannot replace the newer.

A profile edit updates the current run IN PLACE (`recompute_kommunen`): from the run's stored
candidate pools, `engine.update_one` recomputes the Kommune's row and its place in every other pool,
the exposure step runs again, and every list that changed is rewritten in one transaction, which
holds the lock on the MatchingState row. Readers see the lists before or after the edit, never half.
"""

from __future__ import annotations

import functools
import io
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC, datetime, timedelta

import numpy as np
import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload

from matching import engine
from matching.coordinates import fill_missing
from matching.engine import KIND_CODES, MatchInput, MatchParams, MatchResult
from matching.facts import Facts, facts_for_pair, pair_codes
from matching.vocabulary import TOPIC_INDEX, TOPIC_SLUGS, TYPES
from plattform.core.clock import utcnow
from plattform.extensions import db
from plattform.kommunen.models import Kommune
from plattform.kommunen.services import matchable_filter
from plattform.kontakte.models import ContactRequest, Partnership
from plattform.profile.models import Profile, ProfileTopic
from plattform.vorschlaege.models import (
    MatchingState,
    Suggestion,
    SuggestionFeedback,
    SuggestionListStamp,
    SuggestionRun,
    SuggestionRunArrays,
)

log = logging.getLogger(__name__)

STATE_ID = 1
KEEP_RUNS = 2
# A pair with a contact request in one of these states (either direction) is never suggested: open or
# accepted means the two are already talking ("Im Gespräch"), declined excludes the pair for good.
CONTACTED_STATUSES = ("offen", "angenommen", "abgelehnt")
IGNORE_REPEAT_DAYS = 7  # a suggestion shown again after this long without action counts as ignored again
STALE_RUN_HOURS = 6  # a run still "laeuft" after this long died with its worker

# The netzwerke domain registers functions returning (kommune_id, network_id) pairs.
NetworkProvider = Callable[[], Iterable[tuple[int, int]]]
NETWORK_PROVIDERS: list[NetworkProvider] = []


def register_network_provider(provider: NetworkProvider) -> NetworkProvider:
    """Let another domain feed network membership into the score (shared network bonus)."""
    if provider not in NETWORK_PROVIDERS:
        NETWORK_PROVIDERS.append(provider)
    return provider


def setting(name: str, default, cast=int):
    """A matching setting from the app config (plattform/config.py reads the environment once)."""
    value = current_app.config.get(name)
    return default if value in (None, "") else cast(value)


def match_params() -> MatchParams:
    """The engine parameters of this installation (MATCHING_K suggestions per Kommune)."""
    return MatchParams(k=setting("MATCHING_K", 10))


def params_from_json(data: dict) -> MatchParams:
    """MatchParams back from a run's params JSON (unknown keys such as 'blocks' ignored)."""
    names = {f.name for f in fields(MatchParams)}
    return MatchParams(**{k: v for k, v in data.items() if k in names})


# ----------------------------------------------------------------------------------------- input


def _kind_code(kind: str, ebene: str) -> int:
    if ebene == "kreis":
        return KIND_CODES["kreis"]
    if kind in ("gemeinde", "markt"):
        return KIND_CODES["gemeinde"]
    return KIND_CODES["stadt"]


@dataclass
class MatchContext:
    """A MatchInput plus what maps its rows back to the database."""

    ids: np.ndarray  # row → kommune.id (ascending)
    ags: list[str]
    inp: MatchInput
    row_of: dict[int, int] = field(default_factory=dict)

    def __post_init__(self):
        if not self.row_of:
            self.row_of = {int(k): r for r, k in enumerate(self.ids)}


def _pairs_to_rows(pairs: Iterable[tuple[int, int]], row_of: dict[int, int]) -> list[tuple[int, int]]:
    return [(row_of[a], row_of[b]) for a, b in pairs if a in row_of and b in row_of]


def _as_utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _profile_rows(
    row_of: dict[int, int], n: int, kommune_ids: list[int] | None = None
) -> dict[str, np.ndarray]:
    """Strengths, needs, reach, type and the estimate flag of the rows (all, or only these Kommunen's)."""
    t = len(TOPIC_SLUGS)
    out = {
        "strength": np.zeros((n, t), np.float32),
        "need": np.zeros((n, t), np.float32),
        "reach_km": np.full(n, np.nan),
        "type_idx": np.full(n, -1, np.int64),
        "estimated": np.zeros(n, bool),
    }
    profiles = sa.select(Profile.kommune_id, Profile.typ, Profile.reichweite_km, Profile.estimated)
    topics = sa.select(
        Profile.kommune_id, ProfileTopic.thema, ProfileTopic.staerke, ProfileTopic.bedarf
    ).join(Profile, ProfileTopic.profile_id == Profile.id)
    if kommune_ids is not None:
        profiles = profiles.where(Profile.kommune_id.in_(kommune_ids))
        topics = topics.where(Profile.kommune_id.in_(kommune_ids))
    for kommune_id, typ, reichweite, is_estimate in db.session.execute(profiles):
        r = row_of.get(kommune_id)
        if r is None:
            continue
        out["reach_km"][r] = reichweite if reichweite is not None else np.nan
        out["type_idx"][r] = TYPES.index(typ) if typ in TYPES else -1
        out["estimated"][r] = bool(is_estimate)
    unknown: set[str] = set()
    for kommune_id, thema, staerke, bedarf in db.session.execute(topics):
        r = row_of.get(kommune_id)
        col = TOPIC_INDEX.get(thema)
        if col is None:
            unknown.add(thema)
            continue
        if r is not None:
            out["strength"][r, col] = staerke or 0
            out["need"][r, col] = bedarf or 0
    if unknown:
        log.warning("Themen ohne Eintrag im Vokabular übergangen: %s", ", ".join(sorted(unknown)))
    return out


def _pair_arrays(row_of: dict[int, int], now: datetime) -> dict[str, np.ndarray | None]:
    """Excluded pairs (partners, declined requests, "nicht interessiert"); ignored ones with their factor."""
    exclude = _pairs_to_rows(
        db.session.execute(sa.select(Partnership.kommune_a_id, Partnership.kommune_b_id)), row_of
    )
    exclude += _pairs_to_rows(
        db.session.execute(
            sa.select(ContactRequest.from_kommune_id, ContactRequest.to_kommune_id).where(
                ContactRequest.status == "abgelehnt"
            )
        ),
        row_of,
    )
    exclude += _pairs_to_rows(
        db.session.execute(
            sa.select(SuggestionFeedback.kommune_id, SuggestionFeedback.partner_id).where(
                SuggestionFeedback.kind == "nicht-interessiert"
            )
        ),
        row_of,
    )

    # Ignored: shown, no action. A contact request in either direction is an action, so it does not sink.
    contacted = {
        frozenset(p)
        for p in db.session.execute(sa.select(ContactRequest.from_kommune_id, ContactRequest.to_kommune_id))
    }
    ign_pairs, ign_count, ign_age = [], [], []
    for kommune_id, partner_id, count, updated_at in db.session.execute(
        sa.select(
            SuggestionFeedback.kommune_id,
            SuggestionFeedback.partner_id,
            SuggestionFeedback.count,
            SuggestionFeedback.updated_at,
        ).where(SuggestionFeedback.kind == "ignoriert")
    ):
        if (
            kommune_id in row_of
            and partner_id in row_of
            and frozenset((kommune_id, partner_id)) not in contacted
        ):
            ign_pairs.append((row_of[kommune_id], row_of[partner_id]))
            ign_count.append(count)
            ign_age.append((now - _as_utc(updated_at)).total_seconds() / 86400)
    return {
        "exclude": np.array(exclude, dtype=np.int64).reshape(-1, 2) if exclude else None,
        "ignored": np.array(ign_pairs, dtype=np.int64).reshape(-1, 2) if ign_pairs else None,
        "ignored_factor": engine.ignore_factor(np.array(ign_count), np.array(ign_age)) if ign_pairs else None,
    }


def _network_rows(row_of: dict[int, int], n: int) -> list[np.ndarray] | None:
    """Each row's network codes from the registered providers (None without providers)."""
    if not NETWORK_PROVIDERS:
        return None
    net_codes: dict[int, int] = {}
    per_row: list[list[int]] = [[] for _ in range(n)]
    for provider in NETWORK_PROVIDERS:
        for kommune_id, network_id in provider():
            r = row_of.get(kommune_id)
            if r is not None:
                per_row[r].append(net_codes.setdefault(network_id, len(net_codes)))
    return [np.array(sorted(set(x)), dtype=np.int64) for x in per_row]


def _matchable_rows():
    return db.session.execute(
        sa.select(
            Kommune.id,
            Kommune.ags,
            Kommune.name,
            Kommune.kind,
            Kommune.ebene,
            Kommune.population,
            Kommune.lat,
            Kommune.lon,
        )
        .where(matchable_filter())
        .order_by(Kommune.id)
    ).all()


def build_match_input(now: datetime | None = None) -> MatchContext:
    """All matchable Kommunen with profile, place, size, kind, Kreis, networks, exclusions and ignores.

    A Kommune without coordinates gets its Kreis's centre (else its Land's), flagged as approximate.
    """
    now = now or utcnow()
    kommunen = _matchable_rows()
    n = len(kommunen)
    ids = np.array([k.id for k in kommunen], dtype=np.int64)
    row_of = {int(k): r for r, k in enumerate(ids)}
    profile = _profile_rows(row_of, n)
    kreis_keys: dict[str, int] = {}
    kreis = np.array([kreis_keys.setdefault(k.ags[:5], len(kreis_keys)) for k in kommunen], dtype=np.int64)
    ags = [k.ags for k in kommunen]
    lat = np.array([np.nan if k.lat is None else k.lat for k in kommunen], dtype=np.float64)
    lon = np.array([np.nan if k.lon is None else k.lon for k in kommunen], dtype=np.float64)
    lat, lon, approx = fill_missing(ags, lat, lon)
    inp = MatchInput(
        ags=ags,
        lat=lat,
        lon=lon,
        coord_approx=approx,
        population=np.array([np.nan if k.population is None else k.population for k in kommunen], np.float64),
        kind=np.array([_kind_code(k.kind, k.ebene) for k in kommunen], dtype=np.int64),
        kreis=kreis,
        networks=_network_rows(row_of, n),
        **profile,
        **_pair_arrays(row_of, now),
    )
    return MatchContext(ids=ids, ags=inp.ags, inp=inp, row_of=row_of)


def refresh_match_input(
    ctx: MatchContext, kommune_ids: list[int], now: datetime | None = None
) -> MatchContext:
    """The kept input with these Kommunen's profile rows and every pair list read anew (the edit path:
    a few rows and three small queries instead of every profile)."""
    rows = [ctx.row_of[k] for k in kommune_ids if k in ctx.row_of]
    fresh = _profile_rows(ctx.row_of, ctx.inp.n, [k for k in kommune_ids if k in ctx.row_of])
    changes = {}
    for name, values in fresh.items():
        column = np.array(getattr(ctx.inp, name), copy=True)
        column[rows] = values[rows]
        changes[name] = column
    inp = replace(ctx.inp, **changes, **_pair_arrays(ctx.row_of, now or utcnow()))
    return MatchContext(ids=ctx.ids, ags=ctx.ags, inp=inp, row_of=ctx.row_of)


# -------------------------------------------------------------------------------------- npz blobs

_INPUT_ARRAYS = ("strength", "need", "lat", "lon", "population", "kind", "kreis", "type_idx", "reach_km")
_OPTIONAL_ARRAYS = ("exclude", "ignored", "ignored_factor", "estimated", "coord_approx")


def _npz(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)  # uncompressed: packing per edit costs ms, not a third of a second
    return buf.getvalue()


def _load_npz(data: bytes) -> dict[str, np.ndarray]:
    with np.load(io.BytesIO(data), allow_pickle=False) as z:
        return {key: z[key] for key in z.files}


def pack_context(ctx: MatchContext) -> bytes:
    """Freeze a MatchContext so every chord block scores exactly the same input."""
    inp = ctx.inp
    arrays = {"ids": ctx.ids, "ags": np.array(ctx.ags, dtype=str)}
    arrays.update({name: getattr(inp, name) for name in _INPUT_ARRAYS})
    arrays.update({name: getattr(inp, name) for name in _OPTIONAL_ARRAYS if getattr(inp, name) is not None})
    net = engine.networks_matrix(inp.networks, inp.n)
    if net is not None:
        arrays.update(net_indptr=net.indptr, net_indices=net.indices, net_shape=np.array(net.shape))
    return _npz(**arrays)


def unpack_context(data: bytes) -> MatchContext:
    """The MatchContext frozen by pack_context."""
    import scipy.sparse as sparse

    z = _load_npz(data)
    networks = None
    if "net_indptr" in z:
        indices = z["net_indices"]
        networks = sparse.csr_matrix(
            (np.ones(len(indices), np.float32), indices, z["net_indptr"]), shape=tuple(z["net_shape"])
        )
    ags = [str(a) for a in z["ags"]]
    inp = MatchInput(
        ags=ags,
        networks=networks,
        **{name: z[name] for name in _INPUT_ARRAYS},
        **{name: z.get(name) for name in _OPTIONAL_ARRAYS},
    )
    return MatchContext(ids=z["ids"].astype(np.int64), ags=ags, inp=inp)


def _pool_blob(ctx: MatchContext, result: MatchResult) -> bytes:
    return _npz(
        ids=ctx.ids,
        idx=result.idx,
        score=result.score,
        distance_km=result.distance_km,
        pool_idx=result.pool_idx,
        pool_score=result.pool_score,
    )


def _stored_result(stored: dict[str, np.ndarray], params: MatchParams) -> MatchResult:
    """A run's lists and pools back from its blob."""
    distance = stored.get("distance_km")
    if distance is None:
        distance = np.full(stored["idx"].shape, np.nan, np.float32)
    return MatchResult(
        stored["idx"], stored["score"], distance, stored["pool_idx"], stored["pool_score"], params
    )


# ------------------------------------------------------------------------------------------ runs


@dataclass
class RunSummary:
    """What a recompute did, for the CLI, the task result and logs."""

    run_id: int
    status: str
    size: int
    suggestions: int
    gini: float | None
    current: bool
    seconds: float
    caught_up: list[int] = field(default_factory=list)

    def as_dict(self) -> dict:
        """JSON-safe form (task results)."""
        return asdict(self)


def current_run_id() -> int | None:
    """The id of the run readers see, or None before the first recompute."""
    return db.session.scalar(sa.select(MatchingState.current_run_id).where(MatchingState.id == STATE_ID))


def current_run() -> SuggestionRun | None:
    """The run readers see (one query: the API asks on every request)."""
    return db.session.scalar(
        sa.select(SuggestionRun)
        .join(MatchingState, MatchingState.current_run_id == SuggestionRun.id)
        .where(MatchingState.id == STATE_ID)
    )


def _ensure_state() -> None:
    """Create the single MatchingState row once; INSERT … ON CONFLICT DO NOTHING lets two runs race safely.

    (No savepoint: pysqlite's transaction handling would leave a SAVEPOINT-opened transaction
    uncommitted.)
    """
    if db.session.get(MatchingState, STATE_ID) is not None:
        return
    if db.engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    db.session.execute(
        insert(MatchingState.__table__)
        .values(id=STATE_ID, current_run_id=None, updated_at=utcnow())
        .on_conflict_do_nothing(index_elements=["id"])
    )
    db.session.commit()


def start_run(kind: str = "voll", params: MatchParams | None = None, **extra) -> int:
    """Record a new run as "laeuft" (committed, so a crash leaves a trace) and return its id."""
    _ensure_state()
    run = SuggestionRun(kind=kind, status="laeuft", params={**asdict(params or match_params()), **extra})
    db.session.add(run)
    db.session.commit()
    return run.id


def fail_run(run_id: int, error: BaseException | str) -> None:
    """Mark a run failed with its error and drop its partial rows; the current run stays as it is."""
    db.session.rollback()
    message = error if isinstance(error, str) else f"{error.__class__.__name__}: {error}"
    db.session.execute(sa.delete(Suggestion).where(Suggestion.run_id == run_id))
    db.session.execute(sa.delete(SuggestionRunArrays).where(SuggestionRunArrays.run_id == run_id))
    db.session.execute(
        sa.update(SuggestionRun)
        .where(SuggestionRun.id == run_id, SuggestionRun.status == "laeuft")
        .values(status="fehlgeschlagen", error=message[:4000], finished_at=utcnow())
    )
    db.session.commit()
    log.error("Vorschlagslauf %s fehlgeschlagen: %s", run_id, message)


SUGGESTION_COLUMNS = ("run_id", "kommune_id", "rank", "partner_id", "score", "distance_km", "facts")


def suggestion_rows(
    run_id: int, ctx: MatchContext, result: MatchResult, rows: np.ndarray | None = None
) -> list[tuple]:
    """Suggestion rows (tuples in SUGGESTION_COLUMNS order): ids, rank, score, distance, facts code."""
    rows = np.arange(ctx.inp.n) if rows is None else np.asarray(rows, dtype=np.int64)
    if rows.size == 0:
        return []
    idx = result.idx[rows]
    rr, rank = np.nonzero(idx >= 0)
    i = rows[rr]
    j = idx[rr, rank].astype(np.int64)
    distance = result.distance_km[rows][rr, rank].astype(np.float64)
    terms = engine.pair_terms(engine.prepare(ctx.inp, result.params), i, j)
    codes = pair_codes(ctx.inp, terms, i, j, distance)
    score = result.score[rows][rr, rank].astype(np.float64)
    dist = [None if not np.isfinite(d) else round(d, 2) for d in distance.tolist()]
    return list(
        zip(
            [run_id] * len(codes),
            ctx.ids[i].tolist(),
            (rank + 1).tolist(),
            ctx.ids[j].tolist(),
            score.tolist(),
            dist,
            codes,
            strict=True,
        )
    )


def _insert_chunk(rows: list[tuple]) -> None:
    """Insert suggestion rows in the session's transaction: COPY on PostgreSQL, executemany on SQLite.

    Bypasses the ORM's per-row bind processing (JSON is encoded already): for ~110,000 rows that is
    the difference between seconds and a fraction. Its own function so a test can make it fail.
    """
    if not rows:
        return
    conn = db.session.connection()
    cols = ", ".join(SUGGESTION_COLUMNS)
    if conn.dialect.name == "postgresql":
        raw = conn.connection.driver_connection
        with raw.cursor() as cur, cur.copy(f"COPY suggestion ({cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        marks = ", ".join("?" * len(SUGGESTION_COLUMNS))
        conn.exec_driver_sql(f"INSERT INTO suggestion ({cols}) VALUES ({marks})", rows)


def write_suggestions(rows: list[tuple], chunk: int | None = None) -> None:
    """Insert rows of a run that is not current yet, committing per chunk (short write locks on SQLite)."""
    chunk = chunk or setting("MATCHING_WRITE_CHUNK", 20000)
    for start in range(0, len(rows), chunk):
        _insert_chunk(rows[start : start + chunk])
        db.session.commit()


def _swap(run_id: int, size: int, gini: float) -> bool:
    """In one transaction: point MatchingState at the run (only forward) and mark it "fertig"."""
    _ensure_state()
    moved = db.session.execute(
        sa.update(MatchingState)
        .where(
            MatchingState.id == STATE_ID,
            sa.or_(MatchingState.current_run_id.is_(None), MatchingState.current_run_id < run_id),
        )
        .values(current_run_id=run_id, updated_at=utcnow())
    ).rowcount
    run = db.session.get(SuggestionRun, run_id)
    run.status, run.finished_at, run.size, run.gini = "fertig", utcnow(), size, gini
    if not moved:
        run.error = "Nicht übernommen: ein später gestarteter Lauf ist bereits aktuell."
    db.session.commit()
    return bool(moved)


def prune_runs(keep: int = KEEP_RUNS) -> int:
    """Delete old runs: keep the current and newest finished ones (`keep` in all) and the last failure.

    Runs under the MatchingState row lock, so a swap cannot happen between deciding and deleting;
    only runs older than the current one (or failed ones) are ever deleted.
    """
    stale_before = utcnow() - timedelta(hours=STALE_RUN_HOURS)
    for run in db.session.scalars(sa.select(SuggestionRun).where(SuggestionRun.status == "laeuft")).all():
        if _as_utc(run.started_at) < stale_before:
            fail_run(run.id, "Abgebrochen: der Lauf wurde nicht beendet (Worker beendet?).")
    _ensure_state()
    db.session.execute(
        sa.update(MatchingState).where(MatchingState.id == STATE_ID).values(updated_at=utcnow())
    )  # the lock: PostgreSQL row lock, SQLite write transaction
    current = current_run_id()
    finished = db.session.scalars(
        sa.select(SuggestionRun.id).where(SuggestionRun.status == "fertig").order_by(SuggestionRun.id.desc())
    ).all()
    keep_ids: set[int] = {current} if current else set()
    for run_id in finished:
        if len(keep_ids) >= keep:
            break
        keep_ids.add(run_id)
    last_failed = db.session.scalar(
        sa.select(sa.func.max(SuggestionRun.id)).where(SuggestionRun.status == "fehlgeschlagen")
    )
    if last_failed is not None:
        keep_ids.add(last_failed)
    older = SuggestionRun.id < current if current else sa.false()
    doomed = db.session.scalars(
        sa.select(SuggestionRun.id).where(
            SuggestionRun.id.not_in(keep_ids) if keep_ids else sa.true(),
            sa.or_(
                sa.and_(SuggestionRun.status == "fertig", older), SuggestionRun.status == "fehlgeschlagen"
            ),
        )
    ).all()
    if doomed:
        db.session.execute(sa.delete(Suggestion).where(Suggestion.run_id.in_(doomed)))
        db.session.execute(sa.delete(SuggestionRunArrays).where(SuggestionRunArrays.run_id.in_(doomed)))
        db.session.execute(sa.delete(SuggestionRun).where(SuggestionRun.id.in_(doomed)))
    db.session.commit()
    return len(doomed)


def _changed_profiles_since(run_id: int) -> list[int]:
    """Kommunen whose profile was saved after the run started reading (margin for open transactions)."""
    started = db.session.scalar(sa.select(SuggestionRun.started_at).where(SuggestionRun.id == run_id))
    since = _as_utc(started) - timedelta(seconds=setting("MATCHING_CATCHUP_MARGIN_S", 60))
    return list(db.session.scalars(sa.select(Profile.kommune_id).where(Profile.updated_at > since)))


def store_result(run_id: int, ctx: MatchContext, result: MatchResult) -> None:
    """Keep the run's lists and candidate pools: the write blocks and later edits work from them."""
    arrays = db.session.get(SuggestionRunArrays, run_id) or SuggestionRunArrays(run_id=run_id)
    arrays.pool_npz = _pool_blob(ctx, result)
    db.session.add(arrays)
    db.session.commit()


def write_rows(
    run_id: int, ctx: MatchContext, result: MatchResult, start: int = 0, stop: int | None = None
) -> int:
    """Write the lists of rows start..stop-1 into the (not yet current) run; idempotent, so a retried
    block replaces what an interrupted try left."""
    stop = ctx.inp.n if stop is None else stop
    ids = ctx.ids[start:stop].tolist()
    if start > 0 or stop < ctx.inp.n:
        for first in range(0, len(ids), 5000):
            db.session.execute(
                sa.delete(Suggestion).where(
                    Suggestion.run_id == run_id, Suggestion.kommune_id.in_(ids[first : first + 5000])
                )
            )
    else:
        db.session.execute(sa.delete(Suggestion).where(Suggestion.run_id == run_id))
    rows = suggestion_rows(run_id, ctx, result, np.arange(start, stop))
    write_suggestions(rows)
    db.session.commit()
    return len(rows)


def swap_run(run_id: int, ctx: MatchContext, result: MatchResult, written: int, started: float) -> RunSummary:
    """Make the written run current (only forward), prune old runs, catch up on edits made meanwhile."""
    gini = engine.gini(engine.appearances(result.idx, ctx.inp.n)) if ctx.inp.n else 0.0
    is_current = _swap(run_id, ctx.inp.n, gini)
    prune_runs()
    caught_up: list[int] = []
    if is_current:
        changed = [k for k in _changed_profiles_since(run_id) if k in ctx.row_of]
        if changed and len(changed) <= setting("MATCHING_INCREMENTAL_MAX", 50):
            recompute_kommunen(changed)
            caught_up = changed
        elif changed:
            log.info(
                "%d Profile wurden kurz vor oder während der Berechnung gespeichert; "
                "die nächste vollständige Berechnung bezieht sie ein.",
                len(changed),
            )
    return RunSummary(
        run_id=run_id,
        status="fertig",
        size=ctx.inp.n,
        suggestions=written,
        gini=gini,
        current=is_current,
        seconds=time.perf_counter() - started,
        caught_up=caught_up,
    )


def finish_run(
    run_id: int, ctx: MatchContext, result: MatchResult, started: float | None = None
) -> RunSummary:
    """In one process: keep the pools, write every list, swap the run in."""
    started = started or time.perf_counter()
    store_result(run_id, ctx, result)
    written = write_rows(run_id, ctx, result)
    return swap_run(run_id, ctx, result, written, started)


def recompute_full(params: MatchParams | None = None) -> RunSummary:
    """Recompute every Kommune's suggestions in this process and swap them in (or fail cleanly)."""
    started = time.perf_counter()
    params = params or match_params()
    run_id = start_run("voll", params, mode="einzeln", blocks=1)
    try:
        ctx = build_match_input()
        result = engine.compute(ctx.inp, params)
        return finish_run(run_id, ctx, result, started)
    except BaseException as exc:
        fail_run(run_id, exc)
        raise


def count_matchable() -> int:
    """How many Kommunen a full recompute covers."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(Kommune).where(matchable_filter()))


# ----------------------------------------------------------------------- chord (split into blocks)


def start_block_run(block_rows: int, params: MatchParams | None = None) -> tuple[int, list[tuple[int, int]]]:
    """Start a run whose rows are scored by several tasks: freeze the input, return the row ranges."""
    params = params or match_params()
    run_id = start_run("voll", params, mode="bloecke")
    try:
        ctx = build_match_input()
        n = ctx.inp.n
        blocks = [(a, min(a + block_rows, n)) for a in range(0, n, block_rows)] or [(0, 0)]
        db.session.add(SuggestionRunArrays(run_id=run_id, input_npz=pack_context(ctx)))
        run = db.session.get(SuggestionRun, run_id)
        run.params = {**run.params, "blocks": len(blocks)}
        run.size = n
        db.session.commit()
        return run_id, blocks
    except BaseException as exc:
        fail_run(run_id, exc)
        raise


def _frozen(run_id: int) -> tuple[MatchContext, MatchParams]:
    run = db.session.get(SuggestionRun, run_id)
    arrays = db.session.get(SuggestionRunArrays, run_id)
    if run is None or arrays is None or arrays.input_npz is None:
        raise LookupError(f"Lauf {run_id} hat keine eingefrorene Eingabe")
    return unpack_context(arrays.input_npz), params_from_json(run.params)


def score_rows(run_id: int, start: int, stop: int) -> dict:
    """One chord block: candidate pools of rows start..stop-1 as compact lists (padding: -1, 0.0)."""
    ctx, params = _frozen(run_id)
    idx, val = engine.score_block(ctx.inp, slice(start, stop), params)
    return {
        "start": start,
        "stop": stop,
        "idx": idx.tolist(),
        "val": np.where(idx >= 0, val, 0.0).astype(float).tolist(),
    }


def merge_block_run(run_id: int, blocks: list[dict], write_rows_per_block: int) -> list[tuple[int, int]]:
    """The chord callback: merge the blocks' pools, apply exposure, keep the result; return the row
    ranges the write tasks take. No explained row is built here (or fail cleanly)."""
    try:
        ctx, params = _frozen(run_id)
        parts = []
        for b in blocks:
            idx = np.asarray(b["idx"], dtype=np.int32).reshape(b["stop"] - b["start"], -1)
            val = np.asarray(b["val"], dtype=np.float32).reshape(idx.shape)
            parts.append(
                (slice(b["start"], b["stop"]), idx, np.where(idx >= 0, val, -np.inf).astype(np.float32))
            )
        result = engine.finish_blocks(ctx.inp, parts, params)
        store_result(run_id, ctx, result)
        n = ctx.inp.n
        return [(a, min(a + write_rows_per_block, n)) for a in range(0, n, write_rows_per_block)] or [(0, 0)]
    except BaseException as exc:
        fail_run(run_id, exc)
        raise


def _frozen_result(run_id: int) -> tuple[MatchContext, MatchResult]:
    ctx, params = _frozen(run_id)
    arrays = db.session.get(SuggestionRunArrays, run_id)
    if arrays is None or arrays.pool_npz is None:
        raise LookupError(f"Lauf {run_id} hat noch kein Ergebnis")
    return ctx, _stored_result(_load_npz(arrays.pool_npz), params)


def write_block(run_id: int, start: int, stop: int) -> int:
    """One write task of a chord run: facts and rows of its row range."""
    ctx, result = _frozen_result(run_id)
    return write_rows(run_id, ctx, result, start, stop)


def swap_block_run(run_id: int, written: list[int]) -> RunSummary:
    """The last task of a chord run: swap it in (or fail cleanly)."""
    started = time.perf_counter()
    try:
        ctx, result = _frozen_result(run_id)
        return swap_run(run_id, ctx, result, int(sum(written)), started)
    except BaseException as exc:
        fail_run(run_id, exc)
        raise


def finish_block_run(run_id: int, blocks: list[dict]) -> RunSummary:
    """The whole chord tail in one process (tests, small installations): merge, write, swap."""
    started = time.perf_counter()
    ranges = merge_block_run(run_id, blocks, write_rows_per_block=max(1, count_matchable()))
    try:
        written = [write_block(run_id, a, b) for a, b in ranges]
        ctx, result = _frozen_result(run_id)
        return swap_run(run_id, ctx, result, int(sum(written)), started)
    except BaseException as exc:
        fail_run(run_id, exc)
        raise


# --------------------------------------------------------------------------- incremental (in place)


@dataclass
class UpdateSummary:
    """What an in-place update after profile edits changed."""

    run_id: int | None
    kommune_ids: list[int]
    rewritten_lists: int
    full_instead: bool = False


def _lock_current(run_id: int) -> bool:
    """Lock the MatchingState row while it still points at run_id (PostgreSQL row lock, SQLite write lock)."""
    return bool(
        db.session.execute(
            sa.update(MatchingState)
            .where(MatchingState.id == STATE_ID, MatchingState.current_run_id == run_id)
            .values(updated_at=utcnow())
        ).rowcount
    )


# The last edit's input and result in this process, by (run, its start, number of its edits): the
# next edit in the same worker refreshes a few rows instead of reading every profile and pool again.
# Another process's edit bumps the number, so a stale copy is never used.
_KEPT: dict[str, tuple] = {}


def _stamp_lists(run_id: int, kommune_ids: list[int], computed_at: datetime) -> None:
    """Record that these Kommunen's lists of the run reflect every profile saved before computed_at."""
    for start in range(0, len(kommune_ids), 500):
        chunk = kommune_ids[start : start + 500]
        db.session.execute(sa.delete(SuggestionListStamp).where(SuggestionListStamp.kommune_id.in_(chunk)))
        db.session.execute(
            sa.insert(SuggestionListStamp),
            [{"kommune_id": k, "run_id": run_id, "computed_at": computed_at} for k in chunk],
        )


def recompute_kommunen(kommune_ids: Iterable[int]) -> UpdateSummary:
    """After profile edits: update these Kommunen's lists and their place in others' lists, in place.

    Without a current run there is nothing to update (the first full recompute covers everybody).
    If the set of matchable Kommunen changed since the run, a full recompute runs instead.
    """
    wanted = sorted({int(k) for k in kommune_ids})
    for _attempt in range(3):
        computed_at = utcnow()  # before any input is read: what the lists written below reflect
        run_id = current_run_id()
        if run_id is None:
            return UpdateSummary(None, wanted, 0)
        if not _lock_current(run_id):  # a newer run was swapped in meanwhile: start over on that one
            db.session.rollback()
            continue
        arrays = db.session.get(SuggestionRunArrays, run_id)
        run = db.session.get(SuggestionRun, run_id)
        if arrays is None or arrays.pool_npz is None:
            db.session.rollback()
            break
        version = (run_id, str(run.started_at), int(run.params.get("updates", 0)))
        ids_now = np.array(
            db.session.scalars(sa.select(Kommune.id).where(matchable_filter()).order_by(Kommune.id)).all(),
            dtype=np.int64,
        )
        kept = _KEPT.get("state")
        if kept is not None and kept[0] == version and np.array_equal(kept[1].ids, ids_now):
            # this process made the last change of this run: its input and pools are current
            ctx, old = refresh_match_input(kept[1], wanted), kept[2]
        else:
            ctx = build_match_input()
            stored = _load_npz(arrays.pool_npz)
            if not np.array_equal(stored["ids"], ctx.ids):
                db.session.rollback()
                break
            old = _stored_result(stored, params_from_json(run.params))
        n = ctx.inp.n
        result = old
        rows = [ctx.row_of[k] for k in wanted if k in ctx.row_of]
        for r in rows:
            result = engine.update_one(ctx.inp, result, r)
        touched = np.zeros(n, bool)
        touched[rows] = True
        changed = (result.idx != old.idx).any(1) | (result.score != old.score).any(1) | touched
        listed = result.idx >= 0
        changed |= (listed & touched[np.where(listed, result.idx, 0)]).any(1)
        changed_rows = np.nonzero(changed)[0]
        changed_ids = [int(ctx.ids[r]) for r in changed_rows]
        for start in range(0, len(changed_ids), 500):
            db.session.execute(
                sa.delete(Suggestion).where(
                    Suggestion.run_id == run_id, Suggestion.kommune_id.in_(changed_ids[start : start + 500])
                )
            )
        new_rows = suggestion_rows(run_id, ctx, result, changed_rows)
        if new_rows:
            _insert_chunk(new_rows)
        _stamp_lists(run_id, sorted(set(changed_ids) | {k for k in wanted if k in ctx.row_of}), computed_at)
        arrays.pool_npz = _pool_blob(ctx, result)
        run.params = {**run.params, "updates": version[2] + 1}
        run.gini = engine.gini(engine.appearances(result.idx, n))
        db.session.commit()
        _KEPT["state"] = ((run_id, version[1], version[2] + 1), ctx, result)
        return UpdateSummary(run_id, wanted, len(changed_rows))
    summary = recompute_full()
    return UpdateSummary(summary.run_id, wanted, summary.size, full_instead=True)


# ------------------------------------------------------------------------------ reads and feedback


# Partner and its Kreis in the same query; their Land (joined by default) is not shown with a suggestion.
_PARTNER_WITH_KREIS = (
    joinedload(Suggestion.partner, innerjoin=True).lazyload(Kommune.land),
    joinedload(Suggestion.partner, innerjoin=True).joinedload(Kommune.kreis).lazyload(Kommune.land),
)


@functools.cache
def _current_suggestions_query() -> sa.Select:
    """The Kommune's suggestions of the current run, best first, without partners, pairs with an open
    or answered contact request (either direction) or hidden pairs; the current run is a subquery and
    partner and Kreis are joined (one query per list).

    Built once, with the Kommune as the bound parameter `kommune_id`: building a statement of this
    size costs more than running it, on every dashboard view.
    """
    kommune_id = sa.bindparam("kommune_id", type_=sa.Integer)
    run_id = sa.select(MatchingState.current_run_id).where(MatchingState.id == STATE_ID).scalar_subquery()
    hidden = sa.select(SuggestionFeedback.partner_id).where(
        SuggestionFeedback.kommune_id == kommune_id, SuggestionFeedback.kind == "nicht-interessiert"
    )
    partners = sa.union(
        sa.select(Partnership.kommune_b_id).where(Partnership.kommune_a_id == kommune_id),
        sa.select(Partnership.kommune_a_id).where(Partnership.kommune_b_id == kommune_id),
        # already contacted (open or answered, either direction): "Im Gespräch", never suggested
        sa.select(ContactRequest.to_kommune_id).where(
            ContactRequest.from_kommune_id == kommune_id, ContactRequest.status.in_(CONTACTED_STATUSES)
        ),
        sa.select(ContactRequest.from_kommune_id).where(
            ContactRequest.to_kommune_id == kommune_id, ContactRequest.status.in_(CONTACTED_STATUSES)
        ),
    )
    return (
        sa.select(Suggestion)
        .where(Suggestion.run_id == run_id, Suggestion.kommune_id == kommune_id)
        .where(Suggestion.partner_id.not_in(hidden), Suggestion.partner_id.not_in(partners))
        .order_by(Suggestion.rank)
        .options(*_PARTNER_WITH_KREIS)
    )


def current_suggestions(kommune_id: int, limit: int | None = None) -> list[Suggestion]:
    """Kommune's suggestions of the current run, best first, without partners, contacted or hidden pairs."""
    query = _current_suggestions_query()
    if limit is not None:
        query = query.limit(limit)
    return list(db.session.scalars(query, {"kommune_id": kommune_id}))


@dataclass
class DashboardList:
    """What the dashboard shows of a Kommune's suggestions, read in one query."""

    suggestions: list[Suggestion]
    types: dict[int, str | None]  # Kommune id → type (both sides of every suggestion)
    last_shown: dict[int, datetime | None]  # partner → when record_shown last moved its clock
    own_estimated: bool = False  # the Kommune's own profile is only the type-test estimate
    edited: dict[int, datetime] = field(default_factory=dict)  # Kommune id → its profile's last save


@functools.cache
def _dashboard_query() -> sa.Select:
    """The suggestions query plus both sides' types and the ignore clock (built once)."""
    kommune_id = sa.bindparam("kommune_id", type_=sa.Integer)
    partner_typ = sa.select(Profile.typ).where(Profile.kommune_id == Suggestion.partner_id).scalar_subquery()
    own_typ = sa.select(Profile.typ).where(Profile.kommune_id == kommune_id).scalar_subquery()
    shown_at = (
        sa.select(SuggestionFeedback.updated_at)
        .where(
            SuggestionFeedback.kommune_id == kommune_id,
            SuggestionFeedback.partner_id == Suggestion.partner_id,
            SuggestionFeedback.kind == "ignoriert",
        )
        .scalar_subquery()
    )
    own_estimated = sa.select(Profile.estimated).where(Profile.kommune_id == kommune_id).scalar_subquery()
    # when each side's profile was last saved: explanations older than that are not shown as current
    partner_edited = (
        sa.select(Profile.updated_at).where(Profile.kommune_id == Suggestion.partner_id).scalar_subquery()
    )
    own_edited = sa.select(Profile.updated_at).where(Profile.kommune_id == kommune_id).scalar_subquery()
    return _current_suggestions_query().add_columns(
        partner_typ, own_typ, shown_at, own_estimated, partner_edited, own_edited
    )


def dashboard_list(kommune_id: int) -> DashboardList:
    """The current suggestions with both sides' types and when each was last shown (for
    record_shown): everything the page needs from the database at once."""
    result = DashboardList([], {}, {})
    for suggestion, typ, own, last_shown, own_estimated, partner_edited, own_edited in db.session.execute(
        _dashboard_query(), {"kommune_id": kommune_id}
    ):
        if partner_edited is not None:
            result.edited[suggestion.partner_id] = partner_edited
        if own_edited is not None:
            result.edited[kommune_id] = own_edited
        result.own_estimated = bool(own_estimated)
        result.suggestions.append(suggestion)
        result.types[suggestion.partner_id] = typ
        result.types[kommune_id] = own
        result.last_shown[suggestion.partner_id] = last_shown
    return result


@dataclass
class Conversation:
    """A partner this Kommune is already talking to: the latest open or accepted request of the pair."""

    partner: Kommune
    request: ContactRequest
    incoming: bool  # the partner asked this Kommune


def in_talks(kommune_id: int) -> list[Conversation]:
    """Partners with an open or accepted contact request in either direction ("Im Gespräch"), by name.

    They are never suggested (current_suggestions); the dashboard lists them with the request instead."""
    rows = db.session.scalars(
        sa.select(ContactRequest)
        .options(
            joinedload(ContactRequest.from_kommune).lazyload(Kommune.land),
            joinedload(ContactRequest.to_kommune).lazyload(Kommune.land),
        )
        .where(
            sa.or_(ContactRequest.from_kommune_id == kommune_id, ContactRequest.to_kommune_id == kommune_id),
            ContactRequest.status.in_(("offen", "angenommen")),
        )
        .order_by(ContactRequest.created_at.desc(), ContactRequest.id.desc())
    ).all()
    seen: dict[int, Conversation] = {}
    for req in rows:
        incoming = req.to_kommune_id == kommune_id
        partner = req.from_kommune if incoming else req.to_kommune
        seen.setdefault(partner.id, Conversation(partner, req, incoming))
    return sorted(seen.values(), key=lambda c: (c.partner.name, c.partner.id))


def _feedback(kommune_id: int, partner_id: int, kind: str) -> SuggestionFeedback | None:
    return db.session.scalar(
        sa.select(SuggestionFeedback).filter_by(kommune_id=kommune_id, partner_id=partner_id, kind=kind)
    )


def hidden_partners(kommune_id: int) -> list[Kommune]:
    """The partners this Kommune said "nicht interessiert" to, most recent first (for the undo)."""
    return list(
        db.session.scalars(
            sa.select(Kommune)
            .join(SuggestionFeedback, SuggestionFeedback.partner_id == Kommune.id)
            .where(
                SuggestionFeedback.kommune_id == kommune_id, SuggestionFeedback.kind == "nicht-interessiert"
            )
            .order_by(SuggestionFeedback.updated_at.desc(), Kommune.id)
        )
    )


def undo_not_interested(kommune_id: int, partner_id: int) -> bool:
    """Take back "nicht interessiert": the pair is suggested again (at once if the current run holds
    it, else from the next recompute). False if there was nothing to take back."""
    row = _feedback(kommune_id, partner_id, "nicht-interessiert")
    if row is None:
        return False
    db.session.delete(row)
    db.session.commit()
    return True


def mark_not_interested(kommune_id: int, partner_id: int) -> SuggestionFeedback:
    """Hide partner from Kommune's list now and exclude the pair from every later recompute."""
    row = _feedback(kommune_id, partner_id, "nicht-interessiert")
    if row is None:
        row = SuggestionFeedback(
            kommune_id=kommune_id, partner_id=partner_id, kind="nicht-interessiert", count=1
        )
        db.session.add(row)
    else:
        row.count += 1
        row.updated_at = utcnow()
    db.session.commit()
    return row


def record_shown(
    kommune_id: int,
    partner_ids: Iterable[int],
    now: datetime | None = None,
    last_shown: dict[int, datetime | None] | None = None,
) -> None:
    """The dashboard showed these suggestions: each one shown again a week later without action sinks.

    The first showing starts the clock (count 0: sinks slowly with time); every further showing at
    least IGNORE_REPEAT_DAYS later counts as one more ignore (each halves the score). `last_shown`
    (partner → when its clock last moved, None for never) saves the lookup for a caller that read it.
    """
    now = now or utcnow()
    wanted = set(partner_ids)
    if last_shown is None:
        last_shown = dict(
            db.session.execute(
                sa.select(SuggestionFeedback.partner_id, SuggestionFeedback.updated_at).where(
                    SuggestionFeedback.kommune_id == kommune_id,
                    SuggestionFeedback.kind == "ignoriert",
                    SuggestionFeedback.partner_id.in_(wanted),
                )
            ).all()
        )
    stored = {p: at for p, at in last_shown.items() if p in wanted and at is not None}
    new = [
        {
            "kommune_id": kommune_id,
            "partner_id": partner_id,
            "kind": "ignoriert",
            "count": 0,
            "created_at": now,
            "updated_at": now,
        }
        for partner_id in sorted(wanted - stored.keys())
    ]
    stale = [
        (partner_id, updated_at)
        for partner_id, updated_at in stored.items()
        if now - _as_utc(updated_at) >= timedelta(days=IGNORE_REPEAT_DAYS)
    ]
    if not new and not stale:
        return  # most views of a list seen this week end here: nothing to write, no commit
    if new:
        # Two views of the same list at once (two tabs, two officers) both find no row: the second
        # insert must not fail, the first showing already started the clock.
        if db.engine.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        db.session.execute(  # rows as parameters: the statement is compiled once, not per list
            insert(SuggestionFeedback.__table__).on_conflict_do_nothing(
                index_elements=["kommune_id", "partner_id", "kind"]
            ),
            new,
        )
    for partner_id, updated_at in stale:
        # compare-and-set: of two views at once only one counts as the further ignore
        db.session.execute(
            sa.update(SuggestionFeedback)
            .where(
                SuggestionFeedback.kommune_id == kommune_id,
                SuggestionFeedback.partner_id == partner_id,
                SuggestionFeedback.kind == "ignoriert",
                SuggestionFeedback.updated_at == updated_at,
            )
            .values(count=SuggestionFeedback.count + 1, updated_at=now)
            .execution_options(synchronize_session=False)
        )
    db.session.commit()


# ------------------------------------------------------------------------------------------ CLI


def suggestion_item(s: Suggestion) -> dict:
    """One suggestion as plain data (the CLI's and the API's fields), explained in the active locale.

    `explanation_de` stays one release for clients that read it (deprecated, docs/api.md).
    """
    from flask_babel import force_locale

    from plattform.vorschlaege.explain import sentence

    facts = s.fact_sheet
    me, partner = s.kommune.display_name, s.partner.display_name
    explanation = sentence(facts, me, partner)
    with force_locale("de"):
        explanation_de = sentence(facts, me, partner)
    return {
        "rank": s.rank,
        "ags": s.partner.ags,
        "name": s.partner.name,
        "score": s.score,
        "teaches_me": s.teaches_me,
        "learns_from_me": s.learns_from_me,
        "distance_km": s.distance_km,
        "explanation": explanation,
        "facts": facts.as_json(),
        "explanation_de": explanation_de,
    }


def suggestion_items(kommune_id: int, limit: int | None = None) -> list[dict]:
    """The Kommune's current suggestions as plain data (the CLI's and the API's fields)."""
    return [suggestion_item(s) for s in current_suggestions(kommune_id, limit)]


def suggested_ags() -> list[str]:
    """AGS of every Kommune with a list in the current run (`matching show --all`), ascending."""
    run_id = current_run_id()
    if run_id is None:
        return []
    return list(
        db.session.scalars(
            sa.select(Kommune.ags)
            .where(Kommune.id.in_(sa.select(Suggestion.kommune_id).where(Suggestion.run_id == run_id)))
            .order_by(Kommune.ags)
        )
    )


def suggestions_document(ags: str, limit: int | None = None) -> dict:
    """The `matching show --json` document of one Kommune."""
    from plattform.kommunen.services import get_by_ags

    kommune = get_by_ags(ags)
    if kommune is None:
        raise LookupError(f"AGS {ags} ist nicht im Gemeindeverzeichnis.")
    run = current_run()
    return {
        "ags": kommune.ags,
        "name": kommune.name,
        "run": None
        if run is None
        else {
            "id": run.id,
            "finished_at": run.finished_at.isoformat() if run.finished_at else None,
            "size": run.size,
            "gini": run.gini,
        },
        "suggestions": suggestion_items(kommune.id, limit),
    }


# ------------------------------------------------------------------------- one pair, either side


def _side(kommune: Kommune) -> dict:
    profile = db.session.scalar(sa.select(Profile).where(Profile.kommune_id == kommune.id))
    topics = profile.topics if profile is not None else []
    return {
        "strength": {t.thema: t.staerke for t in topics if t.staerke},
        "need": {t.thema: t.bedarf for t in topics if t.bedarf},
        "estimated": bool(profile and profile.estimated),
        "type": profile.typ if profile is not None else None,
        "population": kommune.population,
    }


def _current_for(kommune_id: int, partner_id: int) -> bool:
    """Whether the stored explanation of partner in kommune's list postdates both profiles' edits."""
    fresh = list_freshness(kommune_id, [partner_id])
    return not fresh.pending and partner_id not in fresh.stale_partners


def pair_facts(me: Kommune, other: Kommune) -> Facts:
    """Why `other` fits `me`, from `me`'s side (the request page shows it to the recipient).

    Me's own stored suggestion of the other in the current run if there is one; else the other's
    suggestion of me, seen from my side; else (or when the stored one predates a profile edit)
    computed from both profiles now."""
    run_id = current_run_id()
    if run_id is not None:
        rows = {
            (s.kommune_id, s.partner_id): s
            for s in db.session.scalars(
                sa.select(Suggestion).where(
                    Suggestion.run_id == run_id,
                    sa.or_(
                        sa.and_(Suggestion.kommune_id == me.id, Suggestion.partner_id == other.id),
                        sa.and_(Suggestion.kommune_id == other.id, Suggestion.partner_id == me.id),
                    ),
                )
            )
        }
        # stored facts older than either profile's last edit are not used: computed anew below
        if (me.id, other.id) in rows and _current_for(me.id, other.id):
            return rows[(me.id, other.id)].fact_sheet
        if (other.id, me.id) in rows and _current_for(other.id, me.id):
            return rows[(other.id, me.id)].fact_sheet.seen_from_partner()
    distance = None
    if None not in (me.lat, me.lon, other.lat, other.lon):
        distance = float(engine.haversine_km(me.lat, me.lon, other.lat, other.lon))
    return facts_for_pair(_side(me), _side(other), distance, same_kreis=me.ags[:5] == other.ags[:5])


# ------------------------------------------------------------------------------------- freshness


@dataclass
class Freshness:
    """How current a Kommune's list is: its "Stand", whether a recompute is still to come after the
    Kommune's last profile edit, and the partners whose explanation predates their own last edit."""

    at: datetime | None  # None: no current run
    pending: bool = False
    stale_partners: set[int] = field(default_factory=set)


def list_freshness(
    kommune_id: int, partner_ids: Iterable[int] = (), edited: dict[int, datetime] | None = None
) -> Freshness:
    """The list's "Stand" (the current run's start, or a later in-place update of this list) and
    what was saved after it: the Kommune's own profile (pending, every explanation is old) or a
    partner's (that card's explanation is old until the worker has answered)."""
    run = current_run()
    if run is None:
        return Freshness(None)
    at = _as_utc(run.started_at)
    stamp = db.session.get(SuggestionListStamp, kommune_id)
    if stamp is not None and stamp.run_id == run.id:
        at = max(at, _as_utc(stamp.computed_at))
    if edited is None:  # the dashboard passes what its one query read
        wanted = {int(p) for p in partner_ids} | {kommune_id}
        edited = dict(
            db.session.execute(
                sa.select(Profile.kommune_id, Profile.updated_at).where(
                    Profile.kommune_id.in_(sorted(wanted))
                )
            ).all()
        )
    edited = {k: _as_utc(t) for k, t in edited.items() if t is not None}
    pending = edited.get(kommune_id, at) > at
    stale = {k for k, t in edited.items() if k != kommune_id and t > at}
    return Freshness(at, pending, stale)
