"""HR's member import (ladder/imports.py, `manage.py import_members`): every row checked first,
every error with its line (the header is line 1), all or nothing, the writes through the member
services (permissions, audit trail with route "import", loop checks)."""

from datetime import date, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone

from core.errors import NotAllowed
from ladder.imports import members_import
from ladder.models import Level, Member, MemberChange
from tests import factories

pytestmark = pytest.mark.django_db

User = get_user_model()
HEADER = "username,email,first_name,last_name,level,manager,level_since,is_active"


def csv(*rows: str, header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def member(username: str) -> Member:
    return Member.objects.select_related("user", "level", "manager__user").get(
        user__username__iexact=username
    )


def lines(result) -> list[int]:
    return [error.line for error in result.errors]


@pytest.fixture
def hr():
    return factories.hr_user(username="hana")


def test_a_new_row_creates_the_member_at_its_level_with_level_since(hr):
    boss = factories.MemberFactory(user__username="boss", level__code="group-pm")
    result = members_import(
        actor=hr,
        content=csv(
            "ada,ada@example.com,Ada,Lovelace,senior-pm,boss,2023-05-01,true",
            "bob,bob@example.com,Bob,,pm,,,",
        ),
    )
    assert result.ok and result.applied, result.errors
    assert result.created == ["ada", "bob"] and result.updated == []
    ada = member("ada")
    assert (ada.level.code, ada.manager, ada.level_since) == ("senior-pm", boss, date(2023, 5, 1))
    assert (ada.user.email, ada.user.first_name, ada.user.last_name) == (
        "ada@example.com",
        "Ada",
        "Lovelace",
    )
    assert not ada.user.has_usable_password()
    bob = member("bob")
    assert bob.manager is None and bob.level_since == timezone.localdate() and bob.is_active


def test_an_existing_member_gets_names_email_manager_and_activity_updated(hr):
    old_boss = factories.MemberFactory(user__username="old", level__code="group-pm")
    new_boss = factories.MemberFactory(user__username="new", level__code="group-pm")
    pm = factories.MemberFactory(user__username="pat", level__code="pm", manager=old_boss)
    result = members_import(actor=hr, content=csv("PAT,pat@new.example,Patricia,Q,pm,NEW,,false"))
    assert result.ok, result.errors
    assert result.updated == ["PAT"] and result.created == []
    pm = member("pat")
    assert pm.manager == new_boss and not pm.is_active and not pm.user.is_active
    assert (pm.user.username, pm.user.email, pm.user.first_name, pm.user.last_name) == (
        "pat",  # matched regardless of case; the username itself is not renamed
        "pat@new.example",
        "Patricia",
        "Q",
    )
    change = MemberChange.objects.filter(user=pm.user).get()
    assert change.route == "import" and change.actor == hr
    assert change.changes["manager"] == {"from": "old", "to": "new"}
    assert change.changes["is_active"] == {"from": True, "to": False}


def test_an_unchanged_row_writes_nothing(hr):
    pm = factories.MemberFactory(user__username="pat", level__code="pm")
    row = f"pat,{pm.user.email},{pm.user.first_name},{pm.user.last_name},pm,,,true"
    result = members_import(actor=hr, content=csv(row))
    assert result.ok and result.unchanged == 1 and not result.updated
    assert not MemberChange.objects.exists()


def test_a_different_level_on_an_existing_member_is_an_error_and_nothing_is_applied(hr):
    factories.MemberFactory(user__username="pat", level__code="pm")
    result = members_import(
        actor=hr,
        content=csv(
            "newbie,newbie@example.com,New,Bie,pm,,,",
            "pat,pat@example.com,Pat,Smith,senior-pm,,,",
        ),
    )
    assert not result.ok and lines(result) == [3]
    assert "only through an approved promotion" in result.errors[0].message
    assert not User.objects.filter(username="newbie").exists()
    assert member("pat").level.code == "pm"


def test_one_bad_row_among_a_thousand_applies_nothing_and_names_its_line(hr):
    rows = [f"user{i},user{i}@example.com,U,{i},pm,,," for i in range(1000)]
    rows[617] = "user617,user617@example.com,U,617,no-such-level,,,"
    result = members_import(actor=hr, content=csv(*rows))
    assert [str(e) for e in result.errors] == ["line 619: Unknown level 'no-such-level'."]
    assert not Member.objects.exists()
    assert not User.objects.filter(username__startswith="user").exists()


def test_every_error_is_listed_with_its_line(hr):
    factories.MemberFactory(user__username="pat", level__code="pm")
    result = members_import(
        actor=hr,
        content=csv(
            "ok,ok@example.com,O,K,pm,,,",
            "a,not-an-email,A,A,pm,,,",
            "b,b@example.com,B,B,pm,ghost,,",
            "c,c@example.com,C,C,pm,,2999-01-01,",
            "d,d@example.com,C,C,pm,,yesterday,",
            "e,e@example.com,E,E,pm,,,maybe",
            'f,f@example.com,"Fr\x07ed",F,pm,,,',
            "OK,ok2@example.com,O,K,pm,,,",
            ",x@example.com,X,X,pm,,,",
        ),
    )
    messages = {e.line: e.message for e in result.errors}
    assert sorted(messages) == [3, 4, 5, 6, 7, 8, 9, 10]
    assert "email" in messages[3]
    assert "Unknown manager 'ghost'" in messages[4]
    assert "future" in messages[5]
    assert "not a date" in messages[6]
    assert "neither true nor false" in messages[7]
    assert "Control characters" in messages[8]
    assert "on line 2 already" in messages[9]  # usernames are unique regardless of case
    assert "username is empty" in messages[10]
    assert not User.objects.filter(username="ok").exists()


def test_unknown_and_missing_columns_are_errors_of_line_one(hr):
    result = members_import(actor=hr, content="username,level,colour\nann,pm,red\n")
    assert [str(e) for e in result.errors] == [
        "line 1: Unknown columns: colour (the known ones: username, email, first_name, "
        "last_name, level, manager, level_since, is_active).",
        "line 1: Missing columns: email.",
    ]


def test_a_manager_defined_later_in_the_file_works(hr):
    result = members_import(
        actor=hr,
        content=csv(
            "report,r@example.com,R,R,pm,lead,,",
            "lead,l@example.com,L,L,group-pm,head,,",
            "head,h@example.com,H,H,head-of-product,,,",
        ),
    )
    assert result.ok, result.errors
    assert member("report").manager == member("lead")
    assert member("lead").manager == member("head")


def test_a_reporting_loop_within_the_file_is_refused(hr):
    result = members_import(
        actor=hr,
        content=csv(
            "a,a@example.com,A,A,pm,b,,",
            "b,b@example.com,B,B,pm,c,,",
            "c,c@example.com,C,C,pm,a,,",
            "x,x@example.com,X,X,pm,x,,",
        ),
    )
    assert lines(result) == [2, 5]
    assert "Reporting loop: a → b → c → a (lines 2, 3, 4)" in result.errors[0].message
    assert "own manager" in result.errors[1].message
    assert not Member.objects.exists()


def test_a_reporting_loop_formed_with_the_database_is_refused(hr):
    top = factories.MemberFactory(user__username="top", level__code="vp-product")
    mid = factories.MemberFactory(user__username="mid", level__code="group-pm", manager=top)
    factories.MemberFactory(user__username="low", level__code="pm", manager=mid)
    # top reports to a new member, who reports to low: low → mid → top → new → low.
    result = members_import(
        actor=hr,
        content=csv(
            f"top,{top.user.email},{top.user.first_name},{top.user.last_name},vp-product,new,,",
            "new,new@example.com,N,N,pm,low,,",
        ),
    )
    assert lines(result) == [2]
    assert "Reporting loop" in result.errors[0].message and "(lines 2, 3)" in str(result.errors[0])
    assert member("top").manager is None and not User.objects.filter(username="new").exists()


def test_swapping_a_manager_and_their_report_is_no_loop(hr):
    boss = factories.MemberFactory(user__username="boss", level__code="group-pm")
    report = factories.MemberFactory(user__username="rep", level__code="pm", manager=boss)
    result = members_import(
        actor=hr,
        content=csv(
            f"boss,{boss.user.email},{boss.user.first_name},{boss.user.last_name},group-pm,rep,,",
            f"rep,{report.user.email},{report.user.first_name},{report.user.last_name},pm,,,",
        ),
    )
    assert result.ok, result.errors
    assert member("boss").manager == member("rep") and member("rep").manager is None


def test_a_dry_run_changes_nothing_and_reports(hr):
    factories.MemberFactory(user__username="pat", level__code="pm")
    result = members_import(
        actor=hr,
        content=csv("pat,changed@example.com,P,S,pm,,,", "new,new@example.com,N,N,pm,pat,,"),
        dry_run=True,
    )
    assert result.ok and not result.applied
    assert (result.created, result.updated) == (["new"], ["pat"])
    assert not User.objects.filter(username="new").exists()
    assert member("pat").user.email != "changed@example.com"
    assert not MemberChange.objects.exists()


def test_only_hr_may_import(hr):
    for actor in (factories.committee_member(), factories.MemberFactory().user):
        with pytest.raises(NotAllowed):
            members_import(actor=actor, content=csv("a,a@example.com,A,A,pm,,,"))
    assert not User.objects.filter(username="a").exists()


def test_every_write_is_audited_with_route_import(hr):
    members_import(actor=hr, content=csv("ada,ada@example.com,Ada,L,pm,,,false"))
    changes = MemberChange.objects.filter(user__username="ada").order_by("id")
    assert [c.route for c in changes] == ["import", "import"]  # placed, then deactivated
    assert {c.actor for c in changes} == {hr}
    assert changes[0].changes["level"] == {"from": None, "to": "pm"}


def test_hr_cannot_change_a_superusers_record_or_their_own(hr):
    root = factories.UserFactory(username="root", is_superuser=True, is_staff=True)
    factories.MemberFactory(user=root, level__code="vp-product")
    factories.MemberFactory(user=hr, level__code="pm")
    result = members_import(
        actor=hr,
        content=csv(
            "root,root@evil.example,R,R,vp-product,,,",
            f"hana,hana@evil.example,{hr.first_name},{hr.last_name},pm,,,",
        ),
    )
    assert lines(result) == [2, 3]
    assert "superuser" in result.errors[0].message
    assert "your own record" in result.errors[1].message
    assert User.objects.get(username="root").email != "root@evil.example"
    # Unchanged, both rows are fine: an export of everyone imports back.
    root_row = f"root,{root.email},{root.first_name},{root.last_name},vp-product,,,"
    assert members_import(actor=hr, content=csv(root_row)).ok


def test_a_new_member_under_an_inactive_manager_is_refused(hr):
    factories.MemberFactory(user__username="gone", level__code="group-pm", is_active=False)
    result = members_import(actor=hr, content=csv("a,a@example.com,A,A,pm,gone,,"))
    assert lines(result) == [2] and "not active" in result.errors[0].message
    # Reactivated in the same file: fine.
    result = members_import(
        actor=hr,
        content=csv("gone,gone@example.com,G,G,group-pm,,,true", "a,a@example.com,A,A,pm,gone,,"),
    )
    assert result.ok, result.errors
    assert member("a").manager == member("gone") and member("gone").is_active


def test_an_account_not_on_the_ladder_is_an_error(hr):
    factories.UserFactory(username="loner")
    result = members_import(actor=hr, content=csv("loner,l@example.com,L,L,pm,,,"))
    assert lines(result) == [2] and "not on the ladder" in result.errors[0].message


def test_a_byte_order_mark_and_a_column_subset_are_read(hr):
    content = "\ufeffusername,email,level\nann,ann@example.com,associate-pm\n".encode()
    result = members_import(actor=hr, content=content)
    assert result.ok, result.errors
    assert member("ann").level == Level.objects.get(code="associate-pm")


# --- the command -------------------------------------------------------------------------------


@pytest.fixture
def csv_file(tmp_path):
    def write(text: str):
        path = tmp_path / "members.csv"
        path.write_text(text, encoding="utf-8")
        return str(path)

    return write


def test_the_command_imports_and_prints_a_summary(hr, csv_file, capsys):
    path = csv_file(csv("ada,ada@example.com,Ada,L,pm,,,", "bob,bob@example.com,Bob,B,pm,ada,,"))
    call_command("import_members", path, "--actor", "hana")
    out, err = capsys.readouterr()
    assert "2 created, 0 updated, 0 unchanged" in out
    assert "2/2 rows" in err  # progress
    assert member("bob").manager == member("ada")


def test_the_command_dry_run_writes_nothing(hr, csv_file, capsys):
    path = csv_file(csv("ada,ada@example.com,Ada,L,pm,,,"))
    call_command("import_members", path, "--actor", "hana", "--dry-run")
    assert "Dry run: 1 created" in capsys.readouterr().out
    assert not User.objects.filter(username="ada").exists()


def test_the_command_lists_every_error_and_exits_non_zero(hr, csv_file, capsys):
    path = csv_file(csv("ada,ada@example.com,Ada,L,xx,,,", "bob,bob@example.com,B,B,pm,ghost,,"))
    with pytest.raises(CommandError, match="2 error"):
        call_command("import_members", path, "--actor", "hana")
    err = capsys.readouterr().err
    assert "line 2: Unknown level 'xx'." in err and "line 3: Unknown manager 'ghost'" in err
    assert not Member.objects.exists()


def test_the_command_exit_codes(hr, csv_file):
    """run_from_argv turns a CommandError into exit status `returncode` (1); success is 0.
    (ManagementUtility itself closes the test's connection, so the calls are made directly.)"""
    good = csv_file(csv("ada,ada@example.com,Ada,L,pm,,,"))
    call_command("import_members", good, "--actor", "hana")
    call_command("import_members", good, "--actor", "hana")  # again: unchanged, still 0
    for argv in (
        [good, "--actor", "nobody"],
        ["/no/such/file.csv", "--actor", "hana"],
        [csv_file(csv("ada,ada@example.com,Ada,L,senior-pm,,,")), "--actor", "hana"],
    ):
        with pytest.raises(CommandError) as refused:
            call_command("import_members", *argv)
        assert refused.value.returncode == 1, argv


def test_the_command_refuses_an_actor_who_is_not_hr(csv_file):
    factories.MemberFactory(user__username="pm1")
    path = csv_file(csv("ada,ada@example.com,Ada,L,pm,,,"))
    with pytest.raises(CommandError, match="no active HR user"):
        call_command("import_members", path, "--actor", "pm1")
    assert not User.objects.filter(username="ada").exists()


def test_level_since_of_an_existing_member_changes_only_with_the_level(hr):
    pm = factories.MemberFactory(user__username="pat", level__code="pm")
    other = (pm.level_since - timedelta(days=1)).isoformat()
    result = members_import(actor=hr, content=csv(f"pat,{pm.user.email},A,B,pm,,{other},"))
    assert lines(result) == [2] and "level_since" in result.errors[0].message
