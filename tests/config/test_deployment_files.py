"""There is no Docker engine here: check that docker-compose.yml and the Dockerfile refer only to
things that exist in the project."""

import re
import shlex
from pathlib import Path

import pytest
import yaml
from django.core.management import get_commands
from django.urls import resolve
from django.utils.module_loading import import_string

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
LOCKED = {
    line.split("==")[0].lower()
    for line in (ROOT / "requirements.lock").read_text().splitlines()
    if "==" in line
}


def command_words(service: dict) -> list[str]:
    command = service.get("command", [])
    return shlex.split(command) if isinstance(command, str) else list(command)


def test_the_expected_services_are_there():
    assert {"postgres", "redis", "web", "worker", "beat", "mailpit"} <= set(SERVICES)


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_each_service_has_an_image_or_a_build_with_a_dockerfile(name):
    service = SERVICES[name]
    assert "image" in service or "build" in service
    if "build" in service:
        context = (
            service["build"] if isinstance(service["build"], str) else service["build"]["context"]
        )
        assert (ROOT / context / "Dockerfile").is_file()
    else:
        assert re.fullmatch(r"[a-z0-9./-]+(:[\w.-]+)?", service["image"])


@pytest.mark.parametrize("name", ["postgres", "redis", "web", "worker", "mailpit"])
def test_services_others_wait_for_have_health_checks(name):
    assert SERVICES[name]["healthcheck"]["test"]


def test_web_migrates_then_serves_the_wsgi_app_with_gunicorn():
    words = shlex.split(command_words(SERVICES["web"])[-1])
    assert words[:3] == ["python", "manage.py", "migrate"]
    assert "migrate" in get_commands()
    gunicorn = words[words.index("gunicorn") :]
    module, attribute = gunicorn[1].split(":")
    assert import_string(f"{module}.{attribute}") is not None
    assert "gunicorn" in LOCKED


def test_web_health_check_asks_a_route_that_exists():
    check = " ".join(SERVICES["web"]["healthcheck"]["test"])
    path = re.search(r"http://127\.0\.0\.1:8000(/\S*?)'", check).group(1)
    assert resolve(path).url_name == "healthz"


def test_beat_health_check_runs_a_command_that_exists():
    words = SERVICES["beat"]["healthcheck"]["test"]
    assert words[:3] == ["CMD", "python", "manage.py"]
    assert words[3] in get_commands()


@pytest.mark.parametrize(("name", "role"), [("worker", "worker"), ("beat", "beat")])
def test_celery_services_start_the_project_app(name, role):
    words = command_words(SERVICES[name])
    assert words[:4] == ["celery", "-A", "config", role]
    assert import_string("config.celery_app").main == "pm_ladder"
    assert "celery" in LOCKED


def test_app_environment_names_settings_the_project_reads():
    settings_source = (ROOT / "config" / "settings" / "base.py").read_text()
    settings_source += (ROOT / "config" / "settings" / "production.py").read_text()
    for name in SERVICES["web"]["environment"]:
        if name != "DJANGO_SETTINGS_MODULE":
            assert f'"{name}"' in settings_source, name
    module = SERVICES["web"]["environment"]["DJANGO_SETTINGS_MODULE"]
    assert (ROOT / Path(*module.split("."))).with_suffix(".py").is_file()


def test_dockerfile_copies_files_that_exist_and_runs_gunicorn():
    dockerfile = (ROOT / "Dockerfile").read_text()
    for source in re.findall(r"^COPY (\S+) ", dockerfile, flags=re.MULTILINE):
        assert (ROOT / source).exists(), source
    assert "config.wsgi:application" in dockerfile
    assert "collectstatic" in get_commands()
