"""Start-up: creating the app (every web worker, every CLI command) imports only what it uses.

scikit-learn (with scipy.stats) took seconds of every `flask …` command before it did anything;
it, networkx, openpyxl, WeasyPrint and zxcvbn's lists load where they are needed. Measured in
docs/benchmarks.md.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
HEAVY = ("sklearn", "scipy.stats", "networkx", "openpyxl", "weasyprint", "zxcvbn")


def test_creating_the_app_loads_no_heavy_library():
    probe = (
        "import sys; from plattform import create_app; create_app();"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == ""


def test_the_password_dummy_hash_is_made_on_first_use_and_still_says_no():
    from plattform.accounts import passwords

    passwords._dummy_hash.cache_clear()
    assert passwords.verify_password(None, "irgendwas") is False
    assert passwords._dummy_hash.cache_info().currsize == 1
