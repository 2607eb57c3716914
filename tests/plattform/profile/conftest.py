"""Isolation for the profile tests."""

from __future__ import annotations

import pytest

from plattform.accounts import permissions


@pytest.fixture(autouse=True)
def _no_coordination_providers_left_by_other_tests(monkeypatch):
    """Drop coordination providers that earlier tests registered and never removed.

    Such a provider closes over a user and a Kommune of a finished test; with ids reused after the
    tables are emptied it would make our user coordinate an unrelated Kommune. Providers of the
    application itself (defined outside tests/) stay.
    """
    kept = [p for p in permissions._COORDINATION_PROVIDERS if not p.__module__.startswith("tests.")]
    monkeypatch.setattr(permissions, "_COORDINATION_PROVIDERS", kept)
