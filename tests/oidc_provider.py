"""A small, real OpenID Connect provider for the tests, built on Authlib's server components.

Run as its own process (`python -m tests.oidc_provider --port N`); the tests start it on 127.0.0.1
(see tests/oidc.py). It speaks the protocol the platform meets at a Keycloak: discovery, JWKS, an
authorization endpoint with its own login form (and session cookie), the authorization code grant
with PKCE (S256, required) and one-time codes, ID tokens signed with RS256 (`nonce`, `auth_time`,
`at_hash`), `prompt=login` and `max_age`, and RP-Initiated Logout. Nothing in it knows the platform.

Clients and users are registered over a small JSON admin interface (`PUT /_test/clients/<id>`,
`PUT /_test/users/<username>`), as one would configure a Keycloak realm. A client's `behaviour`
makes the provider misbehave on purpose for the bad-input tests: `expired` (ID tokens already
expired), `foreign_audience` (ID tokens for another client), `forged_signature` (signed with a key
the JWKS does not hold, under the published key id).
"""

from __future__ import annotations

import argparse
import secrets
import threading
import time
from dataclasses import dataclass, field

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import ClientMixin, grants
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from authlib.oidc.core.models import AuthorizationCodeMixin
from authlib.oidc.rpinitiated import EndSessionEndpoint
from flask import Flask, abort, jsonify, redirect, render_template_string, request, session, url_for
from joserfc.jwk import KeySet, RSAKey

KID = "test-key-1"
CODE_LIFETIME = 60
ID_TOKEN_LIFETIME = 300

LOGIN_PAGE = """<!doctype html>
<html lang="de"><head><meta charset="utf-8"><title>Test-Anbieter – Anmeldung</title></head>
<body><main>
<h1>Test-Anbieter: Anmeldung</h1>
<p>Anmeldung für die Anwendung {{ client_id }}</p>
{% if error %}<p role="alert">{{ error }}</p>{% endif %}
<form method="post" action="{{ action }}">
  <label for="username">Benutzername</label> <input id="username" name="username" autocomplete="username">
  <label for="password">Kennwort</label> <input id="password" name="password" type="password">
  <button type="submit" name="aktion" value="anmelden">Beim Test-Anbieter anmelden</button>
  <button type="submit" name="aktion" value="abbrechen">Abbrechen</button>
</form>
</main></body></html>"""

LOGOUT_PAGE = """<!doctype html>
<html lang="de"><head><meta charset="utf-8"><title>Test-Anbieter – Abmelden</title></head>
<body><main><h1>{{ heading }}</h1>
{% if confirm %}<form method="post"><button type="submit">Beim Test-Anbieter abmelden</button></form>
{% endif %}
</main></body></html>"""


@dataclass
class Client(ClientMixin):
    """A registered relying party."""

    client_id: str
    client_secret: str
    redirect_uris: list[str]
    post_logout_redirect_uris: list[str] = field(default_factory=list)
    behaviour: str = "normal"

    @property
    def client_metadata(self) -> dict:
        return {"post_logout_redirect_uris": self.post_logout_redirect_uris}

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        return self.redirect_uris[0] if self.redirect_uris else None

    def get_allowed_scope(self, scope):
        allowed = {"openid", "email", "profile"}
        return " ".join(s for s in (scope or "").split() if s in allowed)

    def check_redirect_uri(self, redirect_uri):
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret):
        return secrets.compare_digest(client_secret, self.client_secret)

    def check_endpoint_auth_method(self, method, endpoint):
        return endpoint != "token" or method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type):
        return response_type == "code"

    def check_grant_type(self, grant_type):
        return grant_type == "authorization_code"


@dataclass
class User:
    """A person at the provider."""

    username: str
    password: str
    sub: str
    email: str
    email_verified: bool = True
    name: str = ""
    claims: dict = field(default_factory=dict)


@dataclass
class AuthorizationCode(AuthorizationCodeMixin):
    """An issued, not yet redeemed code."""

    code: str
    client_id: str
    redirect_uri: str
    scope: str
    username: str
    nonce: str | None
    auth_time: int
    code_challenge: str | None
    code_challenge_method: str | None
    issued_at: float = field(default_factory=time.time)

    def get_redirect_uri(self):
        return self.redirect_uri

    def get_scope(self):
        return self.scope

    def get_nonce(self):
        return self.nonce

    def get_auth_time(self):
        return self.auth_time

    def is_expired(self):
        return time.time() - self.issued_at > CODE_LIFETIME


class Store:
    """Everything the provider keeps, in memory (one process)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.clients: dict[str, Client] = {}
        self.users: dict[str, User] = {}
        self.codes: dict[str, AuthorizationCode] = {}
        self.tokens: list[dict] = []
        self.key = RSAKey.generate_key(2048, parameters={"kid": KID, "use": "sig", "alg": "RS256"})
        # Same key id, different key: what a forger without the provider's private key would send.
        self.rogue_key = RSAKey.generate_key(2048, parameters={"kid": KID, "use": "sig", "alg": "RS256"})

    def public_jwks(self) -> dict:
        return KeySet([self.key]).as_dict(private=False)


def create_provider(issuer: str) -> Flask:
    """The provider app for `issuer` (http://127.0.0.1:PORT)."""
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=secrets.token_hex(16),
        # Cookies ignore the port: a name of its own keeps this session apart from the platform's.
        SESSION_COOKIE_NAME="testidp_session",
        SESSION_COOKIE_SAMESITE="Lax",
    )
    store = Store()
    app.extensions["store"] = store

    def query_client(client_id):
        return store.clients.get(client_id)

    def save_token(token, request):
        store.tokens.append(dict(token))

    server = AuthorizationServer(app, query_client=query_client, save_token=save_token)

    class CodeGrant(grants.AuthorizationCodeGrant):
        TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

        def save_authorization_code(self, code, request):
            data = request.payload.data
            with store.lock:
                store.codes[code] = AuthorizationCode(
                    code=code,
                    client_id=request.client.client_id,
                    redirect_uri=request.payload.redirect_uri,
                    scope=request.payload.scope,
                    username=request.user.username,
                    nonce=data.get("nonce"),
                    auth_time=session.get("auth_time", int(time.time())),
                    code_challenge=data.get("code_challenge"),
                    code_challenge_method=data.get("code_challenge_method"),
                )

        def query_authorization_code(self, code, client):
            item = store.codes.get(code)
            if item and item.client_id == client.client_id and not item.is_expired():
                return item
            return None

        def delete_authorization_code(self, authorization_code):
            with store.lock:
                store.codes.pop(authorization_code.code, None)

        def authenticate_user(self, authorization_code):
            return store.users.get(authorization_code.username)

    class IdToken(OpenIDCode):
        def exists_nonce(self, nonce, request):
            return any(c.nonce == nonce for c in store.codes.values())

        def resolve_client_private_key(self, client):
            return store.rogue_key if client.behaviour == "forged_signature" else store.key

        def get_encode_header(self, client):
            return {"alg": "RS256", "kid": KID}

        def get_client_algorithm(self, client):
            return "RS256"

        def get_client_claims(self, client):
            now = int(time.time())
            claims = {"iss": issuer, "aud": [client.client_id], "exp": now + ID_TOKEN_LIFETIME, "iat": now}
            if client.behaviour == "expired":
                claims.update(iat=now - 1200, exp=now - 900)
            if client.behaviour == "foreign_audience":
                claims["aud"] = ["eine-andere-anwendung"]
            return claims

        def generate_user_info(self, user, scope):
            info = UserInfo(sub=user.sub)
            scopes = scope.split()
            if "email" in scopes:
                info.update(email=user.email, email_verified=user.email_verified)
            if "profile" in scopes:
                info["name"] = user.name
            info.update(user.claims)
            return info

    server.register_grant(CodeGrant, [IdToken(require_nonce=True), CodeChallenge(required=True)])

    class EndSession(EndSessionEndpoint):
        def get_server_jwks(self):
            return store.public_jwks()

        def end_session(self, end_session_request):
            session.clear()

    server.register_endpoint(EndSession)

    def signed_in_user() -> User | None:
        return store.users.get(session.get("username", ""))

    @app.get("/.well-known/openid-configuration")
    def discovery():
        return jsonify(
            issuer=issuer,
            authorization_endpoint=issuer + "/authorize",
            token_endpoint=issuer + "/token",
            jwks_uri=issuer + "/jwks",
            end_session_endpoint=issuer + "/logout",
            response_types_supported=["code"],
            subject_types_supported=["public"],
            id_token_signing_alg_values_supported=["RS256"],
            scopes_supported=["openid", "email", "profile"],
            token_endpoint_auth_methods_supported=["client_secret_basic", "client_secret_post"],
            code_challenge_methods_supported=["S256"],
            claims_supported=["sub", "email", "email_verified", "name", "auth_time", "nonce"],
        )

    @app.get("/jwks")
    def jwks():
        return jsonify(store.public_jwks())

    @app.route("/authorize", methods=["GET", "POST"])
    def authorize():
        user = signed_in_user()
        try:
            grant = server.get_consent_grant(end_user=user)
        except OAuth2Error as error:
            return server.handle_error_response(request, error)
        client_id = grant.client.client_id
        if request.method == "POST":
            if request.form.get("aktion") == "abbrechen":
                return server.create_authorization_response(grant=grant, grant_user=None)
            candidate = store.users.get(request.form.get("username", ""))
            if candidate is None or not secrets.compare_digest(
                candidate.password, request.form.get("password", "")
            ):
                return render_template_string(
                    LOGIN_PAGE,
                    client_id=client_id,
                    action=request.full_path,
                    error="Benutzername oder Kennwort falsch.",
                ), 200
            session.clear()
            session.update(username=candidate.username, auth_time=int(time.time()))
            return server.create_authorization_response(grant=grant, grant_user=candidate)
        max_age = request.args.get("max_age")
        too_old = max_age is not None and time.time() - session.get("auth_time", 0) > int(max_age)
        if user is None or grant.prompt == "login" or too_old:
            return render_template_string(
                LOGIN_PAGE, client_id=client_id, action=request.full_path, error=None
            )
        return server.create_authorization_response(grant=grant, grant_user=user)

    @app.post("/token")
    def token():
        return server.create_token_response()

    @app.route("/logout", methods=["GET", "POST"])
    def logout():
        try:
            end_request = server.validate_endpoint_request("end_session")
        except OAuth2Error as error:
            return server.handle_error_response(request, error)
        if end_request.needs_confirmation and request.method == "GET":
            return render_template_string(LOGOUT_PAGE, heading="Beim Test-Anbieter abmelden?", confirm=True)
        response = server.create_endpoint_response("end_session", end_request)
        return response or render_template_string(
            LOGOUT_PAGE, heading="Beim Test-Anbieter abgemeldet", confirm=False
        )

    # --- the admin interface the tests configure the provider with -------------------------------

    @app.put("/_test/clients/<client_id>")
    def put_client(client_id):
        data = request.get_json()
        store.clients[client_id] = Client(client_id=client_id, **data)
        return jsonify(ok=True)

    @app.put("/_test/users/<username>")
    def put_user(username):
        data = request.get_json()
        store.users[username] = User(username=username, **data)
        return jsonify(ok=True)

    @app.get("/_test/session")
    def who():
        """Who is signed in at the provider in this browser (to check the end-session request)."""
        user = signed_in_user()
        return jsonify(username=user.username if user else None)

    @app.get("/_test/codes")
    def codes():
        return jsonify(count=len(store.codes))

    @app.get("/")
    def index():
        if not signed_in_user():
            abort(404)
        return redirect(url_for("who"))

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description="OpenID Connect test provider (tests only)")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args()
    issuer = f"http://{args.host}:{args.port}"
    app = create_provider(issuer)
    import logging

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    app.run(host=args.host, port=args.port, threaded=True, use_reloader=False)


if __name__ == "__main__":
    main()
