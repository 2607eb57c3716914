"""The test OpenID Connect provider as a process on 127.0.0.1 (tests/oidc_provider.py), and the
platform configured against it.

`oidc_provider` (session-scoped) starts the process once per run; each test registers the clients
and users it needs through the provider's admin interface. Import the fixture into a test module:
`from tests.oidc import oidc_provider  # noqa: F401`.
"""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from plattform.config import OidcProvider
from tests import services

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CLIENT_SECRET = "geheim-fuer-tests-0123456789"


@dataclass
class ProviderProcess:
    """The running provider process."""

    issuer: str
    process: subprocess.Popen

    def put_client(
        self,
        client_id: str,
        redirect_uris: list[str],
        post_logout_redirect_uris: list[str] | None = None,
        behaviour: str = "normal",
        secret: str = CLIENT_SECRET,
    ) -> None:
        """Register (or replace) a relying party, as one would in a Keycloak realm."""
        response = requests.put(
            f"{self.issuer}/_test/clients/{client_id}",
            json={
                "client_secret": secret,
                "redirect_uris": redirect_uris,
                "post_logout_redirect_uris": post_logout_redirect_uris or [],
                "behaviour": behaviour,
            },
            timeout=5,
        )
        response.raise_for_status()

    def put_user(self, username: str, password: str, sub: str, email: str, **fields) -> None:
        """Create (or replace) a person at the provider."""
        response = requests.put(
            f"{self.issuer}/_test/users/{username}",
            json={"password": password, "sub": sub, "email": email, **fields},
            timeout=5,
        )
        response.raise_for_status()


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory):
    """Start the provider process on a free port and wait until discovery answers."""
    port = services.free_port()
    log_path = tmp_path_factory.mktemp("oidc") / "provider.log"
    log = log_path.open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.oidc_provider", "--port", str(port)],
        cwd=PROJECT_ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    issuer = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            if process.poll() is not None:
                pytest.fail(f"Test-Anbieter beendet: {log_path.read_text()}")
            try:
                if requests.get(f"{issuer}/.well-known/openid-configuration", timeout=1).ok:
                    break
            except requests.ConnectionError:
                time.sleep(0.1)
        else:
            pytest.fail(f"Test-Anbieter antwortet nicht: {log_path.read_text()}")
        yield ProviderProcess(issuer=issuer, process=process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def provider_settings(issuer: str, client_id: str = "kommunalmatch", **fields) -> OidcProvider:
    """The platform's settings for the test provider (the kdvz of the tests)."""
    values = {
        "key": "TEST",
        "issuer": issuer,
        "client_id": client_id,
        "client_secret": CLIENT_SECRET,
        "name": "Test-Anbieter",
        "domains": ("kreis-muster.de", "musterdorf.de"),
    }
    values.update(fields)
    return OidcProvider(**values)


def query(url: str) -> dict[str, str]:
    """The query parameters of a URL, one value each."""
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
