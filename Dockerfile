# The one image of every photosearch process (web, workers, beat); docker-compose.yml runs them.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN useradd --create-home --uid 1000 photosearch
WORKDIR /app

# PyTorch's CPU build (about 200 MB) rather than PyPI's default CUDA one (gigabytes): the stack runs
# on CPUs. The GPU worker (docker-compose.yml, profile "gpu") builds with a CUDA index instead.
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
# gettext's msgfmt compiles the French catalogue below.
RUN apt-get update && apt-get install -y --no-install-recommends gettext && rm -rf /var/lib/apt/lists/*
COPY requirements.txt .
RUN pip install --index-url "$TORCH_INDEX_URL" "$(grep -E '^torch==' requirements.txt)" \
    && pip install -r requirements.txt

COPY --chown=photosearch:photosearch . .
# Static files live in the image, outside DATA_DIR, so that the data volume never hides them.
ENV STATIC_ROOT=/app/staticfiles
# URLs are set so that loading the settings starts no embedded server; nothing connects to them.
RUN DATABASE_URL=postgres://build@localhost/build REDIS_URL=redis://localhost:6379/0 \
    SECRET_KEY=collectstatic-only-collectstatic-only-collectstatic-only DATA_DIR=/tmp/build \
    sh -c "python manage.py collectstatic --noinput && python manage.py compilemessages --locale fr" \
    && rm -rf /tmp/build
# The mount points of the data, media and models volumes, owned by the user the processes run as
# (a new named volume takes the owner of the folder it is mounted on).
RUN mkdir -p /data/media /data/models && chown -R photosearch:photosearch /data

USER photosearch
EXPOSE 8000
# Processes and threads: photosearch/gunicorn.py (WEB_WORKERS, WEB_THREADS).
CMD ["gunicorn", "photosearch.wsgi", "--config", "python:photosearch.gunicorn", "--access-logfile", "-"]
