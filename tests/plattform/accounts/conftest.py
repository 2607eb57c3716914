"""Accounts tests: Celery errors surface in the test (eager tasks propagate)."""

from __future__ import annotations

import pytest


@pytest.fixture
def app_config(app_config):
    """Make eager Celery tasks raise, so a broken mail fails the test that sent it."""
    celery = {**app_config["CELERY"], "task_eager_propagates": True}
    return {**app_config, "CELERY": celery}
