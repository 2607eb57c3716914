"""Profile imports by the worker: a large upload is stored as a job, read, checked and written by a
Celery task, and its page shows the progress (phases and counts) until the result is there."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from flask import current_app

from plattform.core import audit
from plattform.core.clock import utcnow
from plattform.extensions import db
from plattform.i18n import N_
from plattform.profile.bulk import ImportResult, import_records
from plattform.profile.formats import FileIssue, ProfileImportError, read_profile_records
from plattform.profile.models import ProfileImport

log = logging.getLogger(__name__)
UNEXPECTED = N_(
    "Ein unerwarteter Fehler ist aufgetreten; er wurde protokolliert. Es wurde nichts importiert."
)


def inline_limit() -> int:
    """Uploads up to this many bytes are imported in the request; larger ones by the worker."""
    return int(current_app.config["PROFILE_IMPORT_INLINE_MAX_BYTES"])


def create_job(user_id: int, file_name: str, content: bytes) -> ProfileImport:
    """Store an upload for the worker (the caller commits, then enqueues ``run_job``)."""
    job = ProfileImport(user_id=user_id, file_name=file_name, content=content, status="wartet")
    db.session.add(job)
    db.session.flush()
    return job


def get_job(job_id: int, user_id: int) -> ProfileImport | None:
    """The user's own import job (someone else's is not found)."""
    job = db.session.get(ProfileImport, job_id)
    return job if job is not None and job.user_id == user_id else None


def _progress(job: ProfileImport, phase: str, done: int | None, total: int | None) -> None:
    """Record the phase; committed only while nothing of the import has been written yet."""
    job.phase, job.done, job.total = phase, done, total
    db.session.commit()


def import_upload(
    user_id: int, file_name: str, content: bytes, may_edit_ids: list[int] | None, progress=None
) -> ImportResult:
    """Read, check and write one upload (all or nothing) and note it in the audit log; no commit.

    Raises ProfileImportError with every problem of the file.
    """
    allowed = None if may_edit_ids is None else set(may_edit_ids)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"upload{Path(file_name).suffix.lower()}"
        path.write_bytes(content)
        records = read_profile_records(path, display_name=file_name)
    if progress is not None:
        progress("pruefen", 0, len(records))
    result = import_records(
        records,
        file=file_name,
        may_edit=None if allowed is None else allowed.__contains__,
        user_id=user_id,
        progress=progress,
    )
    audit.record("profile.imported", details={"datei": file_name, "anzahl": result.written}, actor=user_id)
    return result


def record_finished(user_id: int, file_name: str, result: ImportResult) -> ProfileImport:
    """The job row of an import done in the request (its result page); the caller commits."""
    job = ProfileImport(
        user_id=user_id,
        file_name=file_name,
        status="fertig",
        phase="schreiben",
        total=result.total,
        done=result.written,
        result=result.to_json(),
        finished_at=utcnow(),
    )
    db.session.add(job)
    db.session.flush()
    return job


def run_job(job_id: int, may_edit_ids: list[int] | None) -> str:
    """The worker's part: read, check and write one stored upload; the row ends 'fertig' or 'fehler'."""
    job = db.session.get(ProfileImport, job_id)
    if job is None or job.status not in ("wartet", "laeuft"):
        return "fehlt"
    job.status = "laeuft"
    _progress(job, "lesen", None, None)

    def report(phase: str, done: int, total: int) -> None:
        if phase == "pruefen":  # nothing is written yet, so the progress may be committed
            _progress(job, phase, done, total)

    try:
        result = import_upload(job.user_id, job.file_name, job.content or b"", may_edit_ids, report)
    except ProfileImportError as exc:
        db.session.rollback()
        return _finish(job_id, "fehler", issues=exc)
    except Exception:
        db.session.rollback()
        log.exception("Profilimport %s fehlgeschlagen / profile import failed", job_id)
        return _finish(job_id, "fehler", issues=ProfileImportError.one(job.file_name, UNEXPECTED))
    job.phase, job.done = "schreiben", result.written
    return _finish(job_id, "fertig", result=result)


def _finish(
    job_id: int, status: str, *, result: ImportResult | None = None, issues: ProfileImportError | None = None
) -> str:
    job = db.session.get(ProfileImport, job_id)
    job.status = status
    job.finished_at = utcnow()
    job.content = None  # the file is no longer needed
    if result is not None:
        job.result = result.to_json()
    if issues is not None:
        job.issues = {
            "file": issues.file,
            "items": [issue.to_json() for issue in issues.issues],
            "more": issues.more,
        }
    db.session.commit()
    return status


def job_issues(job: ProfileImport) -> ProfileImportError | None:
    """The stored problems of a failed job, as the error the page renders."""
    if not job.issues:
        return None
    items = [FileIssue.from_json(i) for i in job.issues["items"]]
    return ProfileImportError(job.issues["file"], items, more=job.issues.get("more", 0))


def job_result(job: ProfileImport) -> ImportResult | None:
    """The stored outcome of a finished job."""
    return ImportResult.from_json(job.result) if job.result else None
