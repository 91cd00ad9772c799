"""A real HTTP receiver on 127.0.0.1, started by the test: it records every request and answers
as the test scripts it (a status per request, or hanging). Also: the broker and worker fixtures
of the notifications tests, a real `celery worker` process, and a made-up DNS."""

import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from unittest import mock
from urllib.parse import quote

import pytest
from django.db import connection, transaction

from tests import factories
from tests.notifications.conftest import (  # noqa: F401 (fixtures used by the webhook tests)
    embedded_worker,
    no_worker,
    own_redis,
    redis_broker,
    worker,
)
from webhooks import services
from webhooks.events import Event
from webhooks.models import Delivery

ROOT = Path(__file__).resolve().parents[2]


class Receiver:
    def __init__(self, ssl_context: ssl.SSLContext | None = None):
        self.requests: list[dict] = []
        self.sni: list[str | None] = []  # the server name each TLS client asked for
        self.script: list[int | str] = []  # per request: a status, or "hang"; then 200
        self.hang_seconds = 8.0
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                with receiver._lock:
                    receiver.requests.append(
                        {
                            "path": self.path,
                            "headers": dict(self.headers),
                            "body": body,
                            "at": time.monotonic(),
                        }
                    )
                    answer = receiver.script.pop(0) if receiver.script else 200
                    receiver.requests[-1]["answer"] = answer
                if answer == "hang":
                    time.sleep(receiver.hang_seconds)
                    answer = 200
                if answer == "trickle":  # a header line a second: each read is quick
                    try:
                        self.wfile.write(b"HTTP/1.1 200 OK\r\n")
                        for number in range(int(receiver.hang_seconds)):
                            self.wfile.flush()
                            time.sleep(1)
                            self.wfile.write(f"x-line-{number}: slow\r\n".encode())
                        self.wfile.write(b"content-length: 0\r\n\r\n")
                    except (BrokenPipeError, ConnectionResetError):
                        pass
                    return
                if isinstance(answer, tuple):  # (status, extra headers)
                    answer, headers = answer
                else:
                    headers = {}
                try:
                    self.send_response(answer)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("content-length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the sender gave up waiting (a timeout) or died

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hooks/ladder"
        if ssl_context is not None:
            ssl_context.sni_callback = lambda sock, name, context: self.sni.append(name)
            self.server.socket = ssl_context.wrap_socket(self.server.socket, server_side=True)
            self.url = f"https://127.0.0.1:{self.port}/hooks/ladder"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def private_urls(settings):
    """The receiver is on loopback: allowed only with WEBHOOKS_ALLOW_PRIVATE_URLS."""
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = True
    return settings


@pytest.fixture
def endpoint_for(private_urls, db):
    def make(receiver, events=None):
        return services.endpoint_create(
            actor=factories.hr_user(), url=receiver.url, events=events or []
        )

    return make


def emit(*, count: int = 1, event: Event = Event.PROMOTION_NOMINATED) -> list[Delivery]:
    """`count` events, each in its own committed transaction, as a change writes them: one
    delivery per subscribed endpoint, handed to the workers once it commits."""
    deliveries = []
    for number in range(count):
        with transaction.atomic():
            deliveries += services.webhooks_emit(event=event, data={"promotion": number + 1})
    return deliveries


def emit_unsent(*, count: int = 1, event: Event = Event.PROMOTION_NOMINATED) -> list[Delivery]:
    """As `emit`, but the deliveries are handed to no worker: the test sends them itself."""
    with mock.patch.object(services.outbox, "publish"):
        return emit(count=count, event=event)


@contextmanager
def running_worker():
    """A real Celery worker (a thread of this process) on the current broker, for part of a test."""
    with embedded_worker():
        yield


# A `celery worker` process of its own (solo pool: no children), on the test database. The hold is
# set after the settings load, as a test may (the environment variable has a minimum of 10 s).
# With queues (argv[2], comma-separated) it consumes only those, as `make worker` does.
WORKER_MAIN = """
import sys
import django
django.setup()
from django.conf import settings
settings.WEBHOOKS_HOLD_SECONDS = int(sys.argv[1])
from config.celery import app
queues = ["-Q", sys.argv[2], "-n", sys.argv[2].replace(",", "-") + "@%h"] if sys.argv[2:] else []
app.worker_main(["worker", "--pool=solo", "--loglevel=INFO", "--without-mingle",
                 "--without-gossip", "--without-heartbeat", *queues])
"""


def database_url() -> str:
    """The test database (pytest-django's, not the configured one) as a DATABASE_URL."""
    db = connection.settings_dict
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    return (
        f"postgres://{quote(db['USER'], safe='')}{password}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )


@pytest.fixture
def worker_process(redis_broker, tmp_path):  # noqa: F811
    """start(hold_seconds=..., queues=None, env=None) -> a real `celery worker` process consuming
    from the test's Redis (only `queues`, comma-separated, if given), on the test database, with
    loopback URLs allowed and `env` added to its environment. Killed (by its pid) at the end of
    the test if still running; `.log()` reads what they printed."""
    started: list[subprocess.Popen] = []
    log_paths: list[Path] = []

    def start(
        *, hold_seconds: int = 180, queues: str | None = None, env: dict | None = None
    ) -> subprocess.Popen:
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": redis_broker,
            "WEBHOOKS_ALLOW_PRIVATE_URLS": "true",
            "DEBUG": "false",
            **(env or {}),
        }
        log_path = tmp_path / f"celery-worker-{len(log_paths)}.log"
        log_paths.append(log_path)
        with log_path.open("w") as log:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    WORKER_MAIN,
                    str(hold_seconds),
                    *([queues] if queues else []),
                ],
                cwd=ROOT,
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        started.append(process)
        return process

    start.log = lambda: "\n".join(path.read_text() for path in log_paths if path.exists())
    yield start
    for process in started:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@pytest.fixture
def fake_dns(monkeypatch):
    """`socket.getaddrinfo` answering for made-up names: `names[host]` is a list of answers (each
    a list of addresses, or an error to raise), one per lookup, the last one repeated. Other
    names resolve for real.
    `lookups` lists the made-up names looked up, in order."""
    real_getaddrinfo = socket.getaddrinfo
    dns = SimpleNamespace(names={}, lookups=[])

    def getaddrinfo(host, port, *args, **kwargs):
        if host not in dns.names:
            return real_getaddrinfo(host, port, *args, **kwargs)
        dns.lookups.append(host)
        answers = dns.names[host]
        addresses = answers.pop(0) if len(answers) > 1 else answers[0]
        if isinstance(addresses, Exception):
            raise addresses
        port = int(port or 0)
        return [
            (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0))
            if ":" in address
            else (socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))
            for address in addresses
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return dns


@pytest.fixture(scope="session")
def tls_certificate(tmp_path_factory):
    """A self-signed certificate for hooks.example.test: (certificate file, key file)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("needs the openssl command to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    certificate, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(certificate),
            "-days",
            "2",
            "-subj",
            "/CN=hooks.example.test",
            "-addext",
            "subjectAltName=DNS:hooks.example.test",
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )
    return certificate, key


@pytest.fixture
def tls_receiver(tls_certificate, monkeypatch):
    """A receiver speaking https with the certificate of hooks.example.test, which the sending
    side trusts (SSL_CERT_FILE: the default trust store that urllib3 loads)."""
    certificate, key = tls_certificate
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate, key)
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate))
    server = Receiver(ssl_context=context).start()
    yield server
    server.stop()
