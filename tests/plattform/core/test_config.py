"""Configuration: safe embedded defaults, and production refuses unsafe settings."""

from __future__ import annotations

import pytest

from plattform import create_app
from plattform.config import DEFAULT_SECRET_KEY, ConfigError, load_config


def test_embedded_defaults_are_sqlite_and_the_sqlalchemy_broker(monkeypatch, tmp_path):
    for name in ("DATABASE_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "KOMMUNALMATCH_ENV"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("KOMMUNALMATCH_INSTANCE", str(tmp_path))
    config = load_config()
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'kommunalmatch.db'}"
    assert config["CELERY"]["broker_url"].startswith("sqla+sqlite:///")
    assert config["SESSION_COOKIE_HTTPONLY"] is True


def test_postgres_url_uses_psycopg3(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@db/km")
    assert load_config()["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db/km"


def test_redis_broker_also_keeps_results(monkeypatch):
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:6379/3")
    monkeypatch.delenv("CELERY_RESULT_BACKEND", raising=False)
    assert load_config()["CELERY"]["result_backend"] == "redis://127.0.0.1:6379/3"


def test_production_refuses_default_secret(monkeypatch, tmp_path):
    monkeypatch.setenv("KOMMUNALMATCH_ENV", "production")
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@db/km")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app({"INSTANCE_DIR": str(tmp_path)})


def test_production_refuses_sqlite_unless_allowed(monkeypatch, tmp_path):
    monkeypatch.setenv("KOMMUNALMATCH_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "a-real-secret")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(ConfigError, match="SQLite"):
        create_app({"INSTANCE_DIR": str(tmp_path)})
    monkeypatch.setenv("ALLOW_SQLITE_IN_PRODUCTION", "1")
    app = create_app({"INSTANCE_DIR": str(tmp_path)})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SECRET_KEY"] != DEFAULT_SECRET_KEY


def test_celery_tasks_run_in_the_app_context(app, demo_region):
    from plattform.core.tasks import directory_counts_task

    # Eager in unit tests; the real worker is exercised in tests/integration.
    assert directory_counts_task.delay().get() == {"kreis": 10, "gemeinde": 120}


def test_a_dead_workers_task_returns_within_minutes_and_no_mail_retry_waits_longer(monkeypatch):
    """Issue 16: with Redis's default visibility timeout a dead worker's task came back after an hour."""
    from plattform.accounts.tasks import send_account_mail_task
    from plattform.config import load_config

    monkeypatch.delenv("CELERY_VISIBILITY_TIMEOUT", raising=False)
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
    celery = load_config()["CELERY"]
    assert celery["task_acks_late"] and celery["task_reject_on_worker_lost"]
    timeout = celery["broker_transport_options"]["visibility_timeout"]
    assert timeout <= 600
    # A retry that waits longer than the timeout would be handed out twice: a duplicate mail.
    assert send_account_mail_task.retry_backoff_max < timeout


def test_the_embedded_broker_gets_no_redis_options(monkeypatch):
    """kombu's SQLAlchemy transport hands transport options to create_engine: a visibility timeout
    there stops the worker from starting."""
    from plattform.config import load_config

    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    assert load_config()["CELERY"]["broker_transport_options"] == {}


def test_every_setting_is_in_the_one_table_of_the_docs():
    """docs/betrieb.md "Einstellungen (alle)" is exactly plattform.config.SETTINGS (name, type, default)."""
    import re
    from pathlib import Path

    from plattform.config import settings_table

    docs = (Path(__file__).resolve().parents[3] / "docs" / "betrieb.md").read_text(encoding="utf-8")
    section = docs.split("## Einstellungen (alle)", 1)[1].split("\n## ", 1)[0]
    documented = []
    for m in re.finditer(r"^\| (`[A-Z_]+`.*) \|$", section, re.M):
        variable, kind, default, meaning = (c.strip() for c in m.group(1).split(" | "))
        documented.append((variable.strip("`"), kind, default.strip("`").replace("\\|", "|"), meaning))
    assert documented == [tuple(row) for row in settings_table()]


def test_a_setting_of_the_wrong_type_stops_the_start(monkeypatch):
    monkeypatch.setenv("MATCHING_K", "zehn")
    with pytest.raises(ConfigError, match="MATCHING_K"):
        load_config()
    monkeypatch.setenv("MATCHING_K", "12")
    assert load_config()["MATCHING_K"] == 12


def test_views_and_tasks_read_settings_from_the_config_only():
    """No module of the platform reads the environment besides plattform/config.py."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[3] / "plattform"
    readers = [
        str(p.relative_to(root))
        for p in root.rglob("*.py")
        if p.name != "config.py" and ("os.environ" in p.read_text() or "os.getenv" in p.read_text())
    ]
    # vorschlaege/ is the lead's (its setting() helper switches to current_app.config there).
    assert [r for r in readers if not r.startswith("vorschlaege")] == []
