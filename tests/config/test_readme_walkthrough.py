"""The README's walkthrough runs as written: `manage.py demo` seeds the test database as `make demo`
would (the settings of `make run`), a server like `make run`'s serves it on a free port, and every
```sh block of the section runs in order in one bash, stopping at the first error answer."""

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.urls import resolve

from promotions.management.commands.demo import PEOPLE, README_WALKTHROUGH
from tests.webhooks.conftest import database_url

ROOT = Path(__file__).resolve().parents[2]
BLOCK = "### README block {}"


def section(title: str) -> str:
    """The README's section under `## title`, up to the next one."""
    text = (ROOT / "README.md").read_text()
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def sh_blocks(text: str) -> list[str]:
    return re.findall(r"^```sh\n(.*?)^```$", text, flags=re.M | re.S)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_run_environment(port: int) -> dict:
    """The settings of `make run` (tasks in-process, e-mail to the console) on the test database."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": "",
        "CACHE_URL": "",
        "DEBUG": "true",
        "PORT": str(port),
    }


def wait_until_serving(url: str, server: subprocess.Popen, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert server.poll() is None, "the server stopped"
        try:
            with urllib.request.urlopen(url, timeout=1) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"no answer from {url} in {timeout} s")


def failing_block(output: str, blocks: list[str]) -> str:
    """The block that failed and what it printed, from the markers of the script."""
    number = max((n for n in range(len(blocks)) if BLOCK.format(n) in output), default=0)
    printed = output.split(BLOCK.format(number), 1)[-1]
    return f"block {number + 1} of {len(blocks)}:\n{blocks[number]}\n--- printed:\n{printed}"


def requests_of(server_log: str) -> str:
    """The server's request lines and any traceback (not the e-mails it printed)."""
    lines = server_log.splitlines()
    traceback = next((n for n, line in enumerate(lines) if line.startswith("Traceback")), None)
    requests = [line for line in lines if 'HTTP/1.1"' in line]
    shown = requests + (lines[traceback:] if traceback is not None else [])
    return "\n--- server:\n" + "\n".join(shown)


def test_the_walkthrough_sections_site_paths_exist():
    paths = set(re.findall(r"`(/[a-z/]*)`", section(README_WALKTHROUGH)))
    site = {path for path in paths if not path.startswith("/api/")}
    assert {"/", "/team/", "/me/", "/inbox/"} <= site
    for path in site:
        resolve(path)  # Resolver404 if the README names a page that does not exist


@pytest.mark.services
# Real commits: the demo and the server are other processes on the test database;
# serialized_rollback restores the seeded ladder afterwards.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_readme_walkthrough_runs_on_make_demo_data(tmp_path):
    blocks = sh_blocks(section(README_WALKTHROUGH))
    assert len(blocks) >= 4 and "http://127.0.0.1:8000" in blocks[0]
    port = free_port()
    env = make_run_environment(port)

    demo = subprocess.run(
        [sys.executable, "manage.py", "demo"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert demo.returncode == 0, demo.stdout + demo.stderr
    # The logins come last, after the e-mails the demo's changes sent (printed to the console).
    logins = demo.stdout.rstrip("\n").splitlines()[-len(PEOPLE) :]
    assert [line.split()[0] for line in logins] == [person[0] for person in PEOPLE]
    assert demo.stdout.rindex("Subject:") < demo.stdout.index("Password for all of them")
    assert f'"{README_WALKTHROUGH}" in README.md' in demo.stdout

    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until_serving(f"http://127.0.0.1:{port}/healthz", server)
        script = "set -euo pipefail\n" + "".join(
            f"echo '{BLOCK.format(n)}'\n{block}" for n, block in enumerate(blocks)
        )
        run = subprocess.run(
            ["bash", "-c", script],
            env={**os.environ, "BASE": f"http://127.0.0.1:{port}"},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=60,
        )
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()
    server_log = (tmp_path / "server.log").read_text()
    assert run.returncode == 0, failing_block(run.stdout, blocks) + requests_of(server_log)
    assert '"state":"approved"' in run.stdout and '"level_applied":false' in run.stdout
