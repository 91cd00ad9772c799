"""The Celery app: `celery -A config worker` and `celery -A config beat` start it."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

app = Celery("pm_ladder")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
