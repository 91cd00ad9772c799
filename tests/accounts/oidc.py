"""A real OpenID provider for the single sign-on tests: the npm package oidc-provider run by
tests/oidc_provider.mjs, on a free port, with one client and the accounts a test writes."""

import json
import os
import re
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import requests
from joserfc.jwk import RSAKey

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tests" / "oidc_provider.mjs"
CLIENT_ID = "pm-ladder"
CLIENT_SECRET = "a-client-secret-for-the-tests-only"
KEY_ID = "test-key"


def signing_key() -> RSAKey:
    return RSAKey.generate_key(2048, {"kid": KEY_ID, "use": "sig", "alg": "RS256"}, private=True)


@dataclass
class Provider:
    issuer: str
    accounts_file: Path
    key: RSAKey

    def accounts(self, accounts: dict[str, dict]) -> None:
        """Who can sign in at the provider (login → claims), from the next sign-in on."""
        self.accounts_file.write_text(json.dumps(accounts))

    def settings(self, settings, **more) -> None:
        """Turn single sign-on on in Django's settings (pytest-django's `settings` fixture)."""
        settings.OIDC_ISSUER = self.issuer
        settings.OIDC_CLIENT_ID = CLIENT_ID
        settings.OIDC_CLIENT_SECRET = CLIENT_SECRET
        settings.OIDC_PROVIDER_NAME = "Test IdP"
        for name, value in more.items():
            setattr(settings, name, value)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_provider(tmp_dir: Path, redirect_uri: str):
    """A generator for a module-scoped fixture: yields the running Provider, then stops it."""
    node = shutil.which("node")
    assert node, "node is needed for the OpenID provider (make install-node)"
    port = _free_port()
    key = signing_key()
    accounts_file = tmp_dir / "accounts.json"
    accounts_file.write_text("{}")
    env = {
        **os.environ,
        "OIDC_TEST_CLIENT": json.dumps(
            {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "redirect_uri": redirect_uri}
        ),
        "OIDC_TEST_JWKS": json.dumps({"keys": [key.as_dict(private=True)]}),
        "OIDC_TEST_ACCOUNTS": str(accounts_file),
    }
    process = subprocess.Popen(
        [node, str(SCRIPT), str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    issuer = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                requests.get(f"{issuer}/.well-known/openid-configuration", timeout=1)
                break
            except requests.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    output = process.stderr.read().decode() if process.stderr else ""
                    raise RuntimeError(output) from None
                time.sleep(0.1)
        yield Provider(issuer=issuer, accounts_file=accounts_file, key=key)
    finally:
        process.terminate()
        process.wait(timeout=10)


FORM_ACTION = re.compile(r'<form[^>]*action="([^"]+)"')


def through_provider(session: requests.Session, url: str, *, login: str, back_to: str) -> str:
    """Follow the provider's pages without a browser (its login form, any password, then its
    consent form) from the authorization URL until it redirects to `back_to`: that address,
    with its code and state."""
    response = session.get(url, allow_redirects=False, timeout=10)
    for _ in range(20):
        if response.is_redirect:
            location = urljoin(response.url, response.headers["Location"])
            if location.startswith(back_to):
                return location
            response = session.get(location, allow_redirects=False, timeout=10)
            continue
        match = FORM_ACTION.search(response.text)
        assert match, response.text[:500]
        action = urljoin(response.url, match.group(1))
        if 'name="login"' in response.text:
            data = {"prompt": "login", "login": login, "password": "any"}
        else:
            data = {"prompt": "consent"}
        response = session.post(action, data=data, allow_redirects=False, timeout=10)
    raise AssertionError("the provider never sent the browser back")
