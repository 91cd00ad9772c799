# The PM Ladder image: gunicorn serves the app, whitenoise the static files. The same image runs
# the Celery workers (e-mail; webhooks, on a queue of their own) and beat (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production

WORKDIR /app
COPY requirements.lock ./
# Hash-checked: only what the lock pins, each file checked against its sha256 (make lock).
RUN pip install --require-hashes -r requirements.lock

COPY . .
# collectstatic needs settings to load; the key is thrown away with this layer.
RUN SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput \
    && useradd --system --uid 10001 ladder
USER ladder

EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "2"]
