# Noodrem: one image for every replica. Migrations run at start (under a lock), so a new
# image is deployed by starting it. See README, "Hosting for several customers".
#
#   docker build -t noodrem .
#   docker run -e DATABASE_URL=postgresql+asyncpg://... -e NOODREM_SECRET=... \
#              -e SMTP_HOST=... -e SMTP_FROM=... -e ORGANISATION_FILE=/app/organisation.yaml \
#              -v ./organisation.yaml:/app/organisation.yaml:ro -p 3978:3978 noodrem
# (it listens on all interfaces, so the organisation file must have sign_in)

# --- build: the runtime dependencies in a venv, no compilers or test tools in the image ---
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml app.py ./
COPY bot ./bot
COPY storage ./storage
# Install the project for its dependencies (not the "test" extra), then drop the project
# itself: the code runs from /app below, next to the playbooks it reads.
RUN python -m venv /opt/venv \
 && /opt/venv/bin/pip install . \
 && /opt/venv/bin/pip uninstall -y noodrem

# --- run -------------------------------------------------------------------------------
# /data holds the SQLite file and the trained recognizer (NOODREM_CACHE_DIR): a restart reads
# the recognizer instead of training it again (~2 s of CPU before the first message).
FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOST=0.0.0.0 \
    PORT=3978 \
    DATABASE_URL=sqlite+aiosqlite:////data/noodrem.db \
    NOODREM_CACHE_DIR=/data/cache
RUN useradd --system --uid 10001 --user-group --home-dir /app --shell /usr/sbin/nologin noodrem \
 && install -d -o noodrem -g noodrem /data
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
COPY app.py organisation.example.yaml ./
COPY bot ./bot
COPY storage ./storage
COPY playbooks ./playbooks
# Byte-code compiled now, as root: the code is read-only for the user that runs it.
RUN python -m compileall -q /app
USER noodrem
VOLUME ["/data"]
EXPOSE 3978
# Alive = the process answers /healthz, which it does from the moment it listens, before
# the app is built. Load balancers should ask /readyz (started, store reachable, schema at
# the newest revision) before sending traffic. A failed start ends the process (exit 2).
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '3978'), timeout=2)"]
CMD ["python", "app.py"]
