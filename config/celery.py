"""The Celery app: `celery -A config worker` and `celery -A config beat` start it."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

# Every task retries on a new connection when its database connection broke (core/task_retry.py).
app = Celery("pm_ladder", task_cls="core.task_retry:DatabaseRetryingTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
