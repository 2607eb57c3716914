"""Identity providers from the environment: several at once, and a refusal that names the variable
for every incomplete or unsafe setting."""

from __future__ import annotations

import pytest

from plattform import create_app
from plattform.config import ConfigError, OidcProvider, check_oidc_providers, oidc_providers_from_env

ENV = {
    "OIDC_PROVIDERS": "kdvz, Dueren_Nord",
    "OIDC_KDVZ_ISSUER": "https://sso.kdvz.example/realms/kommunen",
    "OIDC_KDVZ_CLIENT_ID": "kommunalmatch",
    "OIDC_KDVZ_CLIENT_SECRET": "s1",
    "OIDC_KDVZ_NAME": "kdvz Rhein-Erft-Rur",
    "OIDC_KDVZ_DOMAINS": "Kreis-Dueren.de; kreuzau.de",
    "OIDC_KDVZ_PASSWORD_OFF": "kreis-dueren.de",
    "OIDC_KDVZ_AUTHORITATIVE_AGS": "05358028,05358008",
    "OIDC_DUEREN_NORD_ISSUER": "https://login.dueren.example",
    "OIDC_DUEREN_NORD_CLIENT_ID": "km",
    "OIDC_DUEREN_NORD_CLIENT_SECRET": "s2",
    "OIDC_DUEREN_NORD_DOMAINS": "dueren.de",
    "OIDC_DUEREN_NORD_PASSWORD_OFF": "*",
}


def test_several_providers_are_read_from_the_environment():
    kdvz, dueren = oidc_providers_from_env(ENV)
    assert kdvz == OidcProvider(
        key="KDVZ",
        issuer="https://sso.kdvz.example/realms/kommunen",
        client_id="kommunalmatch",
        client_secret="s1",
        name="kdvz Rhein-Erft-Rur",
        domains=("kreis-dueren.de", "kreuzau.de"),
        password_off_domains=("kreis-dueren.de",),
        authoritative_ags=("05358028", "05358008"),
    )
    assert kdvz.slug == "kdvz" and dueren.slug == "dueren-nord"
    assert dueren.name == "Dueren_Nord" and dueren.password_off_domains == ("dueren.de",)
    assert dueren.ags_claim == "kommunalmatch_ags" and dueren.scopes == "openid email profile"
    check_oidc_providers((kdvz, dueren), "production")


def test_no_providers_without_the_variable():
    assert oidc_providers_from_env({}) == ()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"OIDC_KDVZ_CLIENT_SECRET": ""}, "OIDC_KDVZ_CLIENT_SECRET fehlt"),
        ({"OIDC_KDVZ_ISSUER": "http://sso.kdvz.example/realms/kommunen"}, "OIDC_KDVZ_ISSUER muss eine https"),
        ({"OIDC_KDVZ_ISSUER": "https://sso.example/?realm=x"}, "weder Query"),
        ({"OIDC_KDVZ_DOMAINS": ""}, "OIDC_KDVZ_DOMAINS fehlt"),
        ({"OIDC_KDVZ_DOMAINS": "kreis dueren"}, "ist keine Domain"),
        ({"OIDC_KDVZ_PASSWORD_OFF": "andere.de"}, "andere.de steht nicht in OIDC_KDVZ_DOMAINS"),
        ({"OIDC_KDVZ_AUTHORITATIVE_AGS": "Kreuzau"}, "kein Gemeindeschlüssel"),
        ({"OIDC_KDVZ_SCOPES": "email profile"}, "openid"),
        ({"OIDC_PROVIDERS": "kdvz,KDVZ"}, "ungültig oder doppelt"),
        ({"OIDC_PROVIDERS": "kd-vz"}, "ungültig oder doppelt"),
    ],
)
def test_incomplete_or_unsafe_settings_are_refused_naming_the_variable(change, message):
    with pytest.raises(ConfigError, match=message):
        check_oidc_providers(oidc_providers_from_env({**ENV, **change}), "production")


def test_a_timeout_that_is_no_number_is_refused():
    with pytest.raises(ConfigError, match="OIDC_KDVZ_TIMEOUT"):
        oidc_providers_from_env({**ENV, "OIDC_KDVZ_TIMEOUT": "zehn"})


def test_plain_http_is_allowed_only_for_a_local_provider_outside_production():
    local = oidc_providers_from_env({**ENV, "OIDC_KDVZ_ISSUER": "http://127.0.0.1:8080/realms/test"})
    check_oidc_providers(local, "development")
    with pytest.raises(ConfigError, match="https"):
        check_oidc_providers(local, "production")


def test_the_app_refuses_to_start_with_a_bad_provider(monkeypatch, tmp_path):
    for key, value in {**ENV, "OIDC_KDVZ_CLIENT_ID": ""}.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ConfigError, match="OIDC_KDVZ_CLIENT_ID"):
        create_app({"INSTANCE_DIR": str(tmp_path)})
