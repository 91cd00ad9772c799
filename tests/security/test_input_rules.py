"""Round three's input classes (issue 21: 2, 8, 9, 11, and duplicate JSON keys), each closed by one
rule and walked over every place that takes the input:

- text (core.validators): no control characters (prose keeps its lines and tabs) and no
  invisible format characters (Unicode Cf: bidi controls, tag characters...) but the two joiners,
  in every text field of every request body (StrictSerializer), every admin form (the admin site),
  every cell of the member import; evidence links without user info, with a port of 1-65535;
- dates (core.validators.DateBound): at most a year ahead, in every date field of every request
  body and every admin form; `level_since` not in the future there and in the import;
- the import reads a cell as the export wrote it (core.spreadsheets.csv_value);
- the API's JSON parser refuses a key named twice in one object, at any depth."""

import csv
import io
import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client, RequestFactory
from django.utils import timezone
from rest_framework import serializers
from rest_framework.authtoken.serializers import AuthTokenSerializer

from core.serializers import StrictSerializer
from ladder.imports import COLUMNS, members_import
from ladder.models import Member, MemberChange
from promotions.forms import DecisionForm, ReviewForm
from promotions.models import Cycle, Promotion
from tests import factories
from tests.api.test_error_codes import request_serializers
from tests.security.test_authorization_table import TABLE, concrete
from tests.security.test_input_classes import WRITES, hr_client  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db

BIDI = ["\u202e", "\u202a", "\u202d", "\u2066", "\u2067", "\u2068", "\u2069", "\u200e", "\u200f"]
OTHER_FORMAT = ["\u061c", "\ufeff", "\u00ad", "\u2060", "\U000e0041"]  # ALM, BOM, SHY, WJ, tag
FORMAT = BIDI + OTHER_FORMAT
JOINED = ["Mehr\u200cnaz", "\U0001f469\u200d\U0001f4bb"]  # ZWNJ (Persian), ZWJ (an emoji)
FAR = "9999-12-31"
TEXT_CODES = {"format_character", "control_character"}
DATE_CODES = {"date_too_far", "future_date", "effective_on_too_far"}


def today() -> date:
    return timezone.localdate()


# --- Walking the request bodies ------------------------------------------------------------------

WRITE_SERIALIZERS = [s for s in request_serializers() if not isinstance(s, AuthTokenSerializer)]


def inputs(serializer, prefix=()):
    """(path, field) of every value a body can carry; a list's first item stands for every item."""
    for name, field in serializer.fields.items():
        if field.read_only:
            continue
        path = (*prefix, name)
        if isinstance(field, serializers.ListSerializer):
            yield from inputs(field.child, (*path, 0))
        elif isinstance(field, serializers.Serializer):
            yield from inputs(field, path)
        elif isinstance(field, serializers.ListField):
            yield (*path, 0), field.child
        else:
            yield path, field


def is_text(field) -> bool:
    return isinstance(field, serializers.CharField) and field.style.get("input_type") != "password"


def is_prose(field) -> bool:
    return field.style.get("base_template") == "textarea.html"


def is_date(field) -> bool:
    return isinstance(field, serializers.DateField | serializers.DateTimeField)


def put(body: dict, path: tuple, value) -> None:
    node = body
    for step, after in zip(path, path[1:], strict=False):
        if isinstance(node, list):
            while len(node) <= step:
                node.append({} if isinstance(after, str) else [])
            node = node[step]
        else:
            node = node.setdefault(step, {} if isinstance(after, str) else [])
    if isinstance(node, list):
        node.append(value)
    else:
        node[path[-1]] = value


def codes_at(errors, path: tuple) -> set[str]:
    node = errors
    for step in path:
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            return set()
    if isinstance(node, dict):  # a list field's errors, by index
        node = [detail for details in node.values() for detail in details]
    return {detail.code for detail in node}


def check(serializer, value, select) -> dict[tuple, set[str]]:
    """Every selected field of the body at `value` at once: the codes DRF answers at each."""
    paths = [path for path, field in inputs(serializer) if select(field)]
    body: dict = {}
    for path in paths:
        put(body, path, value(path) if callable(value) else value)
    checked = type(serializer)(data=body)
    checked.is_valid()
    return {path: codes_at(checked.errors, path) for path in paths}


def test_every_request_body_is_strict():
    """So every new body gets the rules: StrictSerializer applies them to its fields."""
    assert WRITE_SERIALIZERS
    for serializer in WRITE_SERIALIZERS:
        assert isinstance(serializer, StrictSerializer), type(serializer).__name__


def test_the_walk_reaches_the_reported_fields():
    walked = {
        (type(s).__name__, ".".join(map(str, path)))
        for s in WRITE_SERIALIZERS
        for path, field in inputs(s)
        if is_text(field) or is_date(field)
    }
    for expected in [
        ("MemberCreateSerializer", "first_name"),
        ("MemberCreateSerializer", "level_since"),
        ("MemberUpdateSerializer", "last_name"),
        ("NominationSerializer", "justification"),
        ("NominationSerializer", "evidence.0.text"),
        ("NominationSerializer", "evidence.0.links.0"),
        ("PacketInputSerializer", "evidence.0.links.0"),
        ("ReviewInputSerializer", "comment"),
        ("TransitionNoteSerializer", "note"),
        ("ApprovalSerializer", "effective_on"),
        ("CycleInputSerializer", "name"),
        ("CycleInputSerializer", "effective_on"),
        ("CycleInputSerializer", "nominations_open_on"),
        ("EndpointInputSerializer", "description"),
    ]:
        assert expected in walked


@pytest.mark.parametrize("serializer", WRITE_SERIALIZERS, ids=lambda s: type(s).__name__)
@pytest.mark.parametrize("char", FORMAT, ids=lambda c: f"U+{ord(c):04X}")
def test_every_text_field_of_every_body_refuses_format_characters(serializer, char):
    for path, codes in check(serializer, f"Ann{char}a", is_text).items():
        assert "format_character" in codes, (path, codes)


@pytest.mark.parametrize("serializer", WRITE_SERIALIZERS, ids=lambda s: type(s).__name__)
def test_every_text_field_of_every_body_refuses_control_characters(serializer):
    for char in ("\x00", "\x01", "\x1b", "\x7f", "\x85"):
        for path, codes in check(serializer, f"Ann{char}a", is_text).items():
            assert codes & TEXT_CODES, (path, repr(char), codes)
    # One line, but in prose: lines and tabs are prose's own.
    prose = {path for s in [serializer] for path, f in inputs(s) if is_text(f) and is_prose(f)}
    for path, codes in check(serializer, "One\r\nTwo\tthree", is_text).items():
        assert bool(codes & TEXT_CODES) == (path not in prose), (path, codes)


@pytest.mark.parametrize("serializer", WRITE_SERIALIZERS, ids=lambda s: type(s).__name__)
def test_the_joiners_are_text_too(serializer):
    for word in JOINED:
        for path, codes in check(serializer, word, is_text).items():
            assert not codes & TEXT_CODES, (path, codes)


@pytest.mark.parametrize("serializer", WRITE_SERIALIZERS, ids=lambda s: type(s).__name__)
def test_every_date_field_of_every_body_is_bounded(serializer):
    for path, codes in check(serializer, FAR, is_date).items():
        assert codes & DATE_CODES, (path, codes)
    bounds = {path: field.validators for path, field in inputs(serializer) if is_date(field)}
    tomorrow, last = today() + timedelta(days=1), today() + timedelta(days=366)
    for path, codes in check(serializer, last.isoformat(), is_date).items():
        # A year ahead is fine, except where the date may not be in the future at all.
        refused = bool(codes & DATE_CODES)
        future_only = any(getattr(v, "code", "") == "future_date" for v in bounds[path])
        assert refused == future_only, (path, codes)
        if future_only:
            assert check(serializer, tomorrow.isoformat(), is_date)[path] & DATE_CODES


# --- Through the API -----------------------------------------------------------------------------


def plan(**dates) -> dict:
    body = {
        "name": "H1",
        "nominations_open_on": (today() + timedelta(days=10)).isoformat(),
        "nominations_close_on": (today() + timedelta(days=20)).isoformat(),
        "decisions_due_on": (today() + timedelta(days=30)).isoformat(),
        "effective_on": (today() + timedelta(days=40)).isoformat(),
    }
    return {**body, **dates}


CYCLE_DATES = ["nominations_open_on", "nominations_close_on", "decisions_due_on", "effective_on"]


def test_a_cycle_date_is_at_most_a_year_ahead(as_user, people):
    hr = as_user(people["hr"])
    draft = factories.draft_cycle(people["hr"])
    for field in CYCLE_DATES:
        created = hr.post("/api/v1/cycles/", plan(**{field: FAR}), format="json")
        assert created.status_code == 400, field
        assert created.json()["code"] == "date_too_far"
        assert set(created.json()) >= {"detail", "code"}
        changed = hr.patch(f"/api/v1/cycles/{draft.pk}/", {field: FAR}, format="json")
        assert changed.status_code == 400, field
        assert changed.json()["code"] == "date_too_far"
    assert list(Cycle.objects.all()) == [draft]
    assert Cycle.objects.get().effective_on < today() + timedelta(days=367)
    # A year ahead, to the day, is still a plan.
    last = (today() + timedelta(days=366)).isoformat()
    assert hr.post("/api/v1/cycles/", plan(effective_on=last), format="json").status_code == 201


def test_the_cycle_service_bounds_its_dates_too(people):
    from core.errors import InvalidInput
    from promotions.cycles import services as cycles

    with pytest.raises(InvalidInput) as refused:
        cycles.cycle_create(
            actor=people["hr"],
            name="H1",
            tracks=[],
            **{**{f: today() for f in CYCLE_DATES}, "effective_on": date(9999, 12, 31)},
        )
    assert refused.value.code == "date_too_far"


def test_a_patch_of_a_cycle_that_is_no_draft_is_409_before_its_body_is_read(as_user, people):
    hr = as_user(people["hr"])
    cycle = factories.draft_cycle(people["hr"])
    assert hr.post(f"/api/v1/cycles/{cycle.pk}/open/").status_code == 200
    for body in ({"effective_on": FAR}, {"name": "A\u202eB"}, {"nope": 1}, {"name": 7}):
        response = hr.patch(f"/api/v1/cycles/{cycle.pk}/", body, format="json")
        assert response.status_code == 409, body
        assert response.json()["code"] == "cycle_not_draft"
    # 404 and 403 still come first.
    assert hr.patch("/api/v1/cycles/999999/", {"nope": 1}, format="json").status_code == 404
    response = as_user(people["committee"]).patch(
        f"/api/v1/cycles/{cycle.pk}/", {"nope": 1}, format="json"
    )
    assert response.status_code == 403


def test_level_since_is_never_in_the_future_over_the_api(as_user, people):
    tomorrow = (today() + timedelta(days=1)).isoformat()
    body = {"username": "ann", "email": "ann@example.com", "level": "pm", "level_since": tomorrow}
    response = as_user(people["hr"]).post("/api/v1/members/", body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "future_date"


def test_bidi_text_is_refused_end_to_end(as_user, people, in_review):
    hr = as_user(people["hr"])
    member = people["candidate_member"]
    body = {
        "username": "eve",
        "email": "eve@example.com",
        "level": "pm",
        "last_name": "exe\u202etxt",
    }
    response = hr.post("/api/v1/members/", body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "format_character"
    assert "U+202E" in response.json()["detail"]
    response = hr.patch(f"/api/v1/members/{member.pk}/", {"first_name": "\u2066x"}, format="json")
    assert response.json()["code"] == "format_character"
    response = hr.post("/api/v1/cycles/", plan(name="H1\u202e"), format="json")
    assert (response.status_code, response.json()["code"]) == (400, "format_character")
    promotion = in_review()
    committee = as_user(people["committee2"])
    response = committee.post(
        f"/api/v1/promotions/{promotion.pk}/reject/", {"note": "No\u202e"}, format="json"
    )
    assert (response.status_code, response.json()["code"]) == (400, "format_character")
    assert Promotion.objects.get(pk=promotion.pk).state == "in_review"
    # A joiner is part of a name.
    response = hr.patch(f"/api/v1/members/{member.pk}/", {"first_name": JOINED[0]}, format="json")
    assert response.status_code == 200


UNSAFE_LINKS = [
    "https://user:pass@example.com/",
    "https://user@example.com/",
    "https://example.com:0/",
    "https://example.com:65536/",
    "https://example.com:99999/",
    "https://example.com:http/",
    "https://exa\u202emple.com/",
    "https://example.com/\u202egnp.exe",
    "https://example.com/a b",
    "https://example.com/\u200b",
]


@pytest.mark.parametrize("link", UNSAFE_LINKS)
def test_an_evidence_link_shows_where_it_goes(as_user, people, link):
    evidence = factories.evidence_for("senior-pm", links=[link])
    body = {
        "candidate": people["candidate_member"].pk,
        "to_level": "senior-pm",
        "justification": factories.JUSTIFICATION,
        "evidence": evidence,
    }
    response = as_user(people["manager"]).post("/api/v1/promotions/", body, format="json")
    assert response.status_code == 400, response.json()
    assert response.json()["code"] in {"evidence_invalid", "format_character", "invalid"}
    assert response.json()["detail"]
    assert not Promotion.objects.exists()


def test_the_packet_service_refuses_unsafe_links_and_hidden_text(people):
    from core.errors import InvalidInput
    from ladder.models import Level
    from promotions.packets.services import packet_evidence

    level = Level.objects.get(code="senior-pm")
    for link in UNSAFE_LINKS:
        with pytest.raises(InvalidInput):
            packet_evidence(to_level=level, evidence=factories.evidence_for(level, links=[link]))
    with pytest.raises(InvalidInput):
        packet_evidence(to_level=level, evidence=factories.evidence_for(level, text="a\u202eb"))
    fine = ["https://example.com:8443/a?b=c#d", "http://example.com/"]
    assert packet_evidence(to_level=level, evidence=factories.evidence_for(level, links=fine))


# --- Duplicate keys ------------------------------------------------------------------------------


def test_duplicate_json_keys_are_400_on_every_route_that_reads_json(hr_client):  # noqa: F811
    client, ids = hr_client
    bodies = [
        '{"note": "a", "note": "b"}',
        '{"name": "x", "evidence": [{"text": "a", "text": "b"}]}',
        '{"a": {"b": {"c": 1, "c": 1}}}',
    ]
    refused = set()
    for route, methods in TABLE.items():
        for method in WRITES:
            if method not in methods or (method, route) == ("delete", "/api/v1/auth/token/"):
                continue
            path = concrete(route, ids)
            for body in bodies:
                response = getattr(client, method)(path, body, content_type="application/json")
                assert response.status_code != 500, (method, path)
                if response.status_code == 400:
                    assert response.json()["code"] == "duplicate_key", (method, path, body)
                    refused.add((method, route))
    assert {("post", "/api/v1/auth/token/"), ("post", "/api/v1/members/")} <= refused
    assert {("post", "/api/v1/promotions/"), ("post", "/api/v1/promotions/{pk}/reject/")} <= refused
    assert {("post", "/api/v1/cycles/"), ("patch", "/api/v1/webhooks/{pk}/")} <= refused
    assert ("post", "/api/v1/delegations/") in refused
    assert {
        ("post", "/api/v1/nomination-requests/{pk}/accept/"),
        ("post", "/api/v1/nomination-requests/{pk}/decline/"),
    } <= refused


def test_the_same_key_in_different_objects_is_fine(as_user, people):
    body = json.dumps(
        {
            "candidate": people["candidate_member"].pk,
            "to_level": "senior-pm",
            "justification": factories.JUSTIFICATION,
            "evidence": factories.evidence_for("senior-pm"),
        }
    )
    assert body.count('"text"') > 1
    client = as_user(people["manager"])
    response = client.post("/api/v1/promotions/", body, content_type="application/json")
    assert response.status_code == 201


# --- Walking the admin's forms --------------------------------------------------------------------


def admin_request():
    request = RequestFactory().get("/admin/")
    request.user = factories.UserFactory(is_superuser=True, is_staff=True)
    return request


def admin_form_classes(request):
    """Every form of the admin: each registered model's add and change form (on a saved row
    where one exists), its inlines' forms and its editable list's form."""
    for model, model_admin in admin.site._registry.items():
        saved = model._default_manager.first()
        for obj in {None, saved}:
            name = f"{model._meta.label}:{'change' if obj else 'add'}"
            yield name, model_admin.get_form(request, obj, change=obj is not None)
            for formset, inline in model_admin.get_formsets_with_inlines(request, obj):
                yield f"{name}:{type(inline).__name__}", formset.form
        if model_admin.list_editable:
            yield f"{model._meta.label}:list", model_admin.get_changelist_form(request)


def plain_form_instances():
    """The forms the admin builds by hand (the committee's desk) and every GuardedForm."""
    yield "ReviewForm", ReviewForm(criteria=[{"criterion": "x", "title": "X"}])
    yield "DecisionForm", DecisionForm()


def form_fields(request):
    for name, form_class in admin_form_classes(request):
        yield from ((name, field_name, f) for field_name, f in form_class().fields.items())
    for name, form in plain_form_instances():
        yield from ((name, field_name, f) for field_name, f in form.fields.items())


def refusal_codes(field, value) -> set[str]:
    try:
        field.clean(value)
    except ValidationError as exc:
        return {error.code for error in exc.error_list}
    return set()


def test_every_admin_text_field_refuses_hidden_characters(people):
    walked = set()
    for form, name, field in form_fields(admin_request()):
        if not isinstance(field, forms.CharField) or isinstance(field.widget, forms.PasswordInput):
            continue
        if isinstance(field, forms.JSONField):
            continue  # structured data (the audit trails' before and after), read-only here
        walked.add((form, name))
        for char in FORMAT:
            assert "format_character" in refusal_codes(field, f"Ann{char}a"), (form, name, char)
        assert refusal_codes(field, "Ann\x01a") & TEXT_CODES, (form, name)
        prose = isinstance(field.widget, forms.Textarea)
        assert bool(refusal_codes(field, "One\nTwo") & TEXT_CODES) != prose, (form, name)
        assert not refusal_codes(field, JOINED[0]) & TEXT_CODES, (form, name)
    for expected in [
        ("auth.User:change", "first_name"),
        ("ladder.Level:change", "title"),
        ("ladder.Level:change", "mission"),
        ("ladder.Level:change:CriterionInline", "description"),
        ("ladder.Criterion:add", "description"),
        ("promotions.Cycle:add", "name"),
        ("auth.Group:add", "name"),
        ("ReviewForm", "comment"),
        ("DecisionForm", "note"),
    ]:
        assert expected in walked, expected


def test_every_admin_date_field_is_bounded(people):
    walked = set()
    for form, name, field in form_fields(admin_request()):
        if isinstance(field, forms.SplitDateTimeField):
            far, last = [FAR, "10:00"], [(today() + timedelta(days=366)).isoformat(), "10:00"]
        elif isinstance(field, forms.DateField | forms.DateTimeField):
            far, last = FAR, (today() + timedelta(days=366)).isoformat()
        else:
            continue
        walked.add((form, name))
        assert refusal_codes(field, far) & DATE_CODES, (form, name)
        future_only = (form, name) == ("ladder.Member:add", "level_since")
        assert bool(refusal_codes(field, last) & DATE_CODES) == future_only, (form, name)
    assert {("promotions.Cycle:add", f) for f in CYCLE_DATES} <= walked
    assert ("ladder.Member:add", "level_since") in walked


def test_the_admin_pages_show_the_refusals_as_form_errors(people):
    client = Client()
    client.force_login(people["hr"])
    dates = {f: (today() + timedelta(days=10 * i)).isoformat() for i, f in enumerate(CYCLE_DATES)}
    response = client.post("/admin/promotions/cycle/add/", {"name": "H1\u202e", **dates})
    assert response.status_code == 200
    assert "name" in response.context["adminform"].form.errors
    response = client.post(
        "/admin/promotions/cycle/add/", {"name": "H1", **dates, "effective_on": FAR}
    )
    assert response.status_code == 200
    assert "effective_on" in response.context["adminform"].form.errors
    assert not Cycle.objects.exists()
    user = factories.UserFactory()
    tomorrow = today() + timedelta(days=1)
    response = client.post(
        "/admin/ladder/member/add/",
        {"user": user.pk, "level": 2, "level_since": tomorrow.isoformat(), "is_active": "on"},
    )
    assert response.status_code == 200
    assert "level_since" in response.context["adminform"].form.errors
    assert not Member.objects.filter(user=user).exists()


# --- The member import ----------------------------------------------------------------------------

ROW = {
    "username": "ann",
    "email": "ann@example.com",
    "first_name": "Ann",
    "last_name": "Lee",
    "level": "pm",
    "manager": "boss",
    "level_since": "2024-01-02",
    "is_active": "true",
}


def csv_text(*rows: dict) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([row[c] for c in COLUMNS])
    return out.getvalue()


@pytest.fixture
def hr():
    factories.MemberFactory(user__username="boss", level__code="group-pm")
    return factories.hr_user(username="hana")


@pytest.mark.parametrize("column", COLUMNS)
@pytest.mark.parametrize("char", ["\x00", "\x01", "\x1b", "\t", "\n", "\u202e", "\u2066", "\ufeff"])
def test_every_import_column_refuses_hidden_characters_with_its_line(hr, column, char):
    bad = {**ROW, column: ROW[column][:1] + char + ROW[column][1:]}
    fine = {**ROW, "username": "bob", "email": "bob@example.com"}
    result = members_import(actor=hr, content=csv_text(fine, bad))
    assert not result.ok
    assert [e.line for e in result.errors] == [3], result.errors
    assert column in result.errors[0].message
    assert not Member.objects.filter(user__username__in=["ann", "bob"]).exists()


def test_a_nul_in_a_header_is_an_error_of_line_one(hr):
    result = members_import(actor=hr, content="user\x00name,email,level\nann,a@example.com,pm\n")
    assert [e.line for e in result.errors] == [1]


def upload(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("members.csv", text.encode(), content_type="text/csv")


def test_a_nul_byte_in_an_uploaded_file_is_a_line_error_not_a_500(hr):
    client = Client()
    client.force_login(hr)
    for column in ("username", "manager", "email", "level"):
        text = csv_text({**ROW, column: ROW[column] + "\x00"})
        response = client.post("/admin/ladder/member/import/", {"file": upload(text)})
        assert response.status_code == 200, column
        assert "line 2:" in response.content.decode()
    assert not Member.objects.filter(user__username="ann").exists()


def test_the_import_command_refuses_a_nul_byte_with_its_line(hr, tmp_path: Path, capsys):
    path = tmp_path / "members.csv"
    path.write_text(csv_text({**ROW, "manager": "bo\x00ss"}))
    with pytest.raises(CommandError):
        call_command("import_members", str(path), "--actor", "hana")
    assert "line 2:" in capsys.readouterr().err


def test_an_export_imports_back_unchanged_whatever_its_cells_begin_with(hr):
    """Usernames, e-mails and names beginning with each character a spreadsheet would run as a
    formula (where the field takes it), and with a quote before one."""
    boss = factories.MemberFactory(
        user__username="@boss", user__email="at.boss@example.com", level__code="group-pm"
    )
    for i, start in enumerate(["=", "+", "-", "@", "'=", "''+", "'"]):
        username = f"{start}u{i}" if start in ("+", "-", "@") else f"u{i}"
        email = f"{start}u{i}@example.com" if start in ("=", "+", "-") else f"u{i}@example.com"
        factories.MemberFactory(
            user__username=username,
            user__email=email,
            user__first_name=f"{start}1+1",
            user__last_name=f"{start}SUM(A1)",
            manager=boss,
            level__code="pm",
        )
    client = Client()
    client.force_login(hr)
    response = client.post("/admin/ladder/member/export/", {"format": "0", "resource": "0"})
    assert response.status_code == 200
    content = response.content.decode()
    assert "'=1+1" in content and "'@boss" in content  # escaped for spreadsheets
    result = members_import(actor=hr, content=content)
    assert result.ok, ([str(e) for e in result.errors], content.splitlines())
    assert (result.created, result.updated) == ([], [])
    assert result.unchanged == Member.objects.count()
    assert not MemberChange.objects.exists()
