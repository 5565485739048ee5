# The one image of every photosearch process (web, workers, beat); docker-compose.yml runs them.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN useradd --create-home --uid 1000 photosearch
WORKDIR /app

COPY requirements.txt .
RUN pip install -r requirements.txt

COPY --chown=photosearch:photosearch . .
# URLs are set so that loading the settings starts no embedded server; nothing connects to them.
RUN DATABASE_URL=postgres://build@localhost/build REDIS_URL=redis://localhost:6379/0 \
    SECRET_KEY=collectstatic-only-collectstatic-only-collectstatic-only DATA_DIR=/tmp/build \
    python manage.py collectstatic --noinput

USER photosearch
EXPOSE 8000
CMD ["gunicorn", "photosearch.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
