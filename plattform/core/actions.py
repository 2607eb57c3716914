"""The common ending of a form action: the service call is committed, or its refusal is shown."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import flash

from plattform.extensions import db

T = TypeVar("T")


def commit_action(
    action: Callable[[], T],
    errors: type[Exception] | tuple[type[Exception], ...],
    success: str | Callable[[T], str] | None = None,
) -> bool:
    """Run a service call and commit it, then flash `success` (a text, or made from the result).

    The domain errors given are refusals with a German message for the officer (e.g. "Die Kommune
    ist schon Mitglied"): the transaction is rolled back and the message flashed. Returns whether
    the action went through; the caller redirects either way.
    """
    try:
        result = action()
        db.session.commit()
    except errors as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return False
    if success is not None:
        flash(success(result) if callable(success) else success, "success")
    return True
