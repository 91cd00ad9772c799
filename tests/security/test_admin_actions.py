"""Every changelist action of every admin, ours or a library's, refuses a forged selection (ids
that are no ids) with a message instead of a 500."""

import pytest
from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.auth import get_user_model
from django.test import RequestFactory
from django.urls import reverse

pytestmark = pytest.mark.django_db


def actions_of_every_admin():
    """Every action an admin offers (the site's and its own), before permissions narrow them: a
    superuser gets all those its model allows."""
    for model, model_admin in admin.site._registry.items():
        for _, name, _ in model_admin._get_base_actions():
            yield pytest.param(model, name, id=f"{model._meta.label}.{name}")


ACTIONS = list(actions_of_every_admin())


def test_there_are_actions_to_walk():
    names = {param.values[1] for param in ACTIONS}
    assert {"export_decisions", "send_again", "delete_selected"} <= names


@pytest.mark.parametrize(("model", "action"), ACTIONS)
@pytest.mark.parametrize("forged", [["abc"], ["1", "x"], ["9" * 30], ["-1"]])
def test_a_forged_selection_is_refused_with_a_message(client, model, action, forged):
    superuser = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(superuser)
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    response = client.post(
        url, {"action": action, helpers.ACTION_CHECKBOX_NAME: forged, "index": 0}, follow=True
    )
    assert response.status_code == 200
    request = RequestFactory().get(url)
    request.user = superuser
    if action in admin.site._registry[model].get_actions(request):
        assert "Tick rows of the list to act on." in response.content.decode()
    # (an action the model does not allow, e.g. deleting criteria, is not run at all)


# django-axes' own action is walked like every other (config/admin_site.py AxesAttemptTime works
# around jazzband/django-axes#1424).


@pytest.mark.parametrize(("model", "action"), ACTIONS)
def test_ids_that_name_no_row_run_nothing_and_answer(client, model, action):
    """Well-formed ids of rows that are not there (deleted since the list was shown, or never
    were, up to the largest 64-bit id): a page with a message, never a 500."""
    superuser = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(superuser)
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    rows_before = model._default_manager.count()
    for ids in (["999999999"], ["2147483648"], ["999999999999999999"]):
        response = client.post(
            url, {"action": action, helpers.ACTION_CHECKBOX_NAME: ids, "index": 0}, follow=True
        )
        assert response.status_code == 200, (ids, response.status_code)
    assert model._default_manager.count() == rows_before
