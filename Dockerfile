# One image for every process: web (daphne), the intake/routing/notify workers, the scheduler
# and the migration Job; k8s/ picks the command. Build (where a Docker engine exists):
#   docker build -t gongzhima:$(git rev-parse --short HEAD) .
# Pinned base: a patch release of the interpreter the suite runs on, on Debian bookworm.
ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
# Dependencies first, in their own layer: only pyproject.toml or constraints.txt invalidates it.
# Every dependency ships a wheel, so no compiler is needed even here.
COPY pyproject.toml constraints.txt ./
RUN python -m venv /opt/venv \
    && python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > requirements.txt \
    && /opt/venv/bin/pip install --only-binary=:all: -c constraints.txt -r requirements.txt
COPY . .
# Hashed, compressed static files (whitenoise serves them); the settings need no secrets here.
RUN STATIC_MANIFEST=1 /opt/venv/bin/python manage.py collectstatic --noinput -v0 \
    && /opt/venv/bin/python -m compileall -q -j 0 config services frontend demo ops /opt/venv/lib

FROM ${PYTHON_IMAGE}
# No compiler, no pip cache, no sources of the dependencies: the venv, the code, the static files.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    STATIC_MANIFEST=1 \
    ALLOW_INSECURE_DEFAULTS=0 \
    LOG_FORMAT=json \
    PORT=8000 \
    MEDIA_ROOT=/data/media
# A directory, not a secret: citizens' photos live there (a volume in k8s/).
# hadolint ignore=DL3064
ENV PRIVATE_MEDIA_ROOT=/data/private_media
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --no-create-home --home-dir /app app \
    && mkdir -p /data/media /data/private_media \
    && chown -R 10001:10001 /data
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
COPY --from=build --chown=root:root /src /app
USER 10001:10001
EXPOSE 8000
# Web by default; workers: ["python", "manage.py", "db_worker", "--queue-name", "routing", ...].
# Exec form, so the server gets SIGTERM itself and drains (see k8s/ for the preStop pause).
CMD ["daphne", "--bind", "0.0.0.0", "--port", "8000", "config.asgi:application"]
