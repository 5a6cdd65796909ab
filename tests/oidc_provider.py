"""A local OpenID Connect provider on 127.0.0.1 (the `oidc-provider-mock` package) for sign-in tests.

The provider accepts any client id and secret. Its login form asks for a subject (`sub`): a
subject it has not seen gets the claims {"email": sub}, so typing an e-mail signs that person in.

    def test_…(oidc_provider, served_app, page):
        server = served_app(secrets=oidc_provider.secrets(roles={"manager": ["m@example.com"]}))
"""
from __future__ import annotations

import json
import secrets as random_secrets
import threading

import pytest
import werkzeug.serving
from oidc_provider_mock import app as provider_app


class OidcProvider:
    """The mock provider served by werkzeug on a free port of 127.0.0.1, in a background thread."""

    def __init__(self):
        self.client_secret = "client-" + random_secrets.token_hex(16)
        self.cookie_secret = "cookie-" + random_secrets.token_hex(16)
        self._server: werkzeug.serving.BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> "OidcProvider":
        self._server = werkzeug.serving.make_server("127.0.0.1", 0, provider_app(), threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self._thread.start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def secrets(self, roles: dict, client_id: str = "customer-register") -> str:
        """The app's secrets.toml: `[auth]` pointing at this provider (Streamlit fills in its port), and `[roles]`."""
        lines = ["[auth]",
                 'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"',
                 f"cookie_secret = {json.dumps(self.cookie_secret)}",
                 f"client_id = {json.dumps(client_id)}",
                 f"client_secret = {json.dumps(self.client_secret)}",
                 f'server_metadata_url = "{self.url}/.well-known/openid-configuration"',
                 "", "[roles]"]
        lines += [f"{role} = {json.dumps(value)}" for role, value in roles.items()]
        return "\n".join(lines) + "\n"

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(5)


@pytest.fixture
def oidc_provider():
    """A fresh OpenID Connect provider on 127.0.0.1 for this test."""
    provider = OidcProvider().start()
    yield provider
    provider.stop()
