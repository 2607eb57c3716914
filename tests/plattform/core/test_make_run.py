"""`make run`: progress lines with the tools' output in a log, the banner only once /health answers,
BASE_URL following PORT, one PORT for every process, a quiet Ctrl-C, no packaging warnings."""

from __future__ import annotations

import importlib.util
import io
import os
import signal
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PYTHON = sys.executable


def _script(name: str):
    spec = importlib.util.spec_from_file_location(f"scripts_{name}", ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _LateServer:
    """Answers /health with 503 until `ready` is set, then 200; counts the polls."""

    def __init__(self):
        self.ready = threading.Event()
        self.polls = 0
        self.polled = threading.Condition()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                with outer.polled:
                    outer.polls += 1
                    outer.polled.notify_all()
                self.send_response(200 if outer.ready.is_set() and self.path == "/health" else 503)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def wait_for_polls(self, n: int) -> None:
        with self.polled:
            assert self.polled.wait_for(lambda: self.polls >= n, timeout=30)


def test_the_banner_comes_only_once_the_server_answers_health():
    run = _script("run")
    server = _LateServer()
    out = io.StringIO()
    announcer = threading.Thread(
        target=run.announce, args=(server.url,), kwargs={"out": out, "interval": 0.01, "timeout": 60}
    )
    try:
        announcer.start()
        server.wait_for_polls(3)
        assert out.getvalue() == ""  # three answers of 503: not yet
        server.ready.set()
        announcer.join(timeout=30)
        assert not announcer.is_alive()
        assert f"Kommunalmatch läuft: {server.url}/" in out.getvalue()
    finally:
        server.httpd.shutdown()


def test_base_url_follows_port_unless_it_is_set(monkeypatch):
    from plattform.config import ConfigError, load_config

    monkeypatch.delenv("BASE_URL", raising=False)
    monkeypatch.delenv("PORT", raising=False)
    assert load_config()["BASE_URL"] == "http://127.0.0.1:5000"
    monkeypatch.setenv("PORT", "5101")
    assert load_config()["BASE_URL"] == "http://127.0.0.1:5101"
    monkeypatch.setenv("BASE_URL", "https://kommunalmatch.example.de")
    assert load_config()["BASE_URL"] == "https://kommunalmatch.example.de"
    monkeypatch.delenv("BASE_URL")
    monkeypatch.setenv("PORT", "fünf")
    with pytest.raises(ConfigError):
        load_config()


def test_every_process_of_make_run_gets_the_web_servers_port():
    """honcho alone gives the 2nd and 3rd process PORT+100 and PORT+200: the worker's mail links
    would point there."""
    table = _script("run").process_table(5101, ROOT / "Procfile", environ={})
    assert {name for name, _cmd, _env in table} == {"web", "worker", "beat"}
    assert {env["PORT"] for _name, _cmd, env in table} == {"5101"}


def test_ctrl_c_ends_make_run_with_exit_code_0(tmp_path):
    """make prints "Error 130" when its recipe exits 130 (honcho's code for SIGINT)."""
    procfile = tmp_path / "Procfile"
    procfile.write_text("one: sleep 60\ntwo: sleep 60\n")
    proc = subprocess.Popen(
        [PYTHON, "scripts/run.py", "--procfile", str(procfile), "--port", "9"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    seen = ""
    for line in proc.stdout:  # wait until both are started, then press "Ctrl-C"
        seen += line
        if seen.count("started (pid=") == 2:
            break
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, seen + out
    assert "Kommunalmatch beendet." in out


@pytest.mark.worker
def test_the_worker_wrapper_stops_celery_without_error_lines(tmp_path):
    """honcho's SIGTERM to the process group killed the prefork pool's children under Celery's feet:
    "ERROR … Process 'ForkPoolWorker-1' … exited with 'signal 15 (SIGTERM)'"."""
    env = {
        **os.environ,
        "KOMMUNALMATCH_INSTANCE": str(tmp_path),
        "CELERY_BROKER_URL": "memory://",
        "CELERY_RESULT_BACKEND": "cache+memory://",
        "PYTHONUNBUFFERED": "1",
    }
    proc = subprocess.Popen(
        [PYTHON, "scripts/worker.py", "--loglevel=INFO", "--concurrency=2", "--pool=prefork"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # like honcho: the wrapper leads its own process group
    )
    seen = ""
    for line in proc.stdout:
        seen += line
        if "ready." in line:
            break
    os.killpg(proc.pid, signal.SIGTERM)  # what honcho does on Ctrl-C
    out, _ = proc.communicate(timeout=60)
    assert "ready." in seen, seen
    assert "ERROR" not in out, out
    assert proc.returncode == 0, out


def _step(log: Path, script: str) -> subprocess.CompletedProcess:
    """scripts/step.sh as step "[2/8] Pakete" running `sh -c script`, its output in `log`."""
    return subprocess.run(
        ["sh", "scripts/step.sh", "[2/8] Pakete", str(log), "sh", "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )


def test_a_step_keeps_its_output_in_the_log_and_shows_it_on_failure(tmp_path):
    log = tmp_path / "step.log"
    ok = _step(log, "echo viel Ausgabe")
    assert ok.returncode == 0
    assert ok.stdout == "[2/8] Pakete …\n"
    assert log.read_text() == "viel Ausgabe\n"
    failed = _step(log, "echo kaputt; exit 3")
    assert failed.returncode == 3
    assert "kaputt" in failed.stdout and str(log) in failed.stdout


def test_make_run_prints_a_progress_line_per_step_and_no_banner_of_its_own():
    """`make -n run` shows the recipe: steps "[n/8] …" and scripts/run.py, no echo of the banner."""
    recipe = subprocess.run(
        ["make", "-n", "-B", "run"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "PORT": "5101"},
    ).stdout
    for step in ("[1/8]", "[2/8]", "[3/8]", "[4/8]", "[6/8]", "[7/8]", "[8/8]"):
        assert step in recipe
    assert "pip-install.log" in recipe
    assert "scripts/run.py --port 5101" in recipe
    assert "läuft" not in recipe


def test_installing_the_project_raises_no_packaging_warning(tmp_path):
    """setuptools warned about `project.license` as a table (and about the flat-layout editable
    install); an editable install into a scratch prefix shows what pip's users see."""
    result = subprocess.run(
        [PYTHON, "-m", "pip", "install", "-v", "--no-deps", "--prefix", str(tmp_path / "p"), "-e", "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    output = result.stdout + result.stderr
    for warning in ("SetuptoolsDeprecationWarning", "BuildBackendWarning", "InformationOnly", "license"):
        assert warning not in output, warning
