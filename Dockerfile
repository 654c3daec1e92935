# reeplan: the HTTP API and web dashboard (`reeplan serve`), with the PostgreSQL driver and Dask.
#
#   docker build -t reeplan .
#   docker run -p 8000:8000 -e REEPLAN_API_TOKEN=change-me reeplan
#
# The container listens on 0.0.0.0 (so that it can be reached), which reeplan only allows with
# a token (REEPLAN_API_TOKEN) or behind an authenticating reverse proxy (REEPLAN_API_AUTH=proxy).
# See compose.yaml for the team set-up (PostgreSQL, a Dask scheduler and two workers).

FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
RUN python -m venv /opt/reeplan \
 && /opt/reeplan/bin/pip install --upgrade pip \
 && /opt/reeplan/bin/pip install ".[api,postgres]"

FROM python:3.11-slim-bookworm
ENV PATH=/opt/reeplan/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    REEPLAN_API_HOST=0.0.0.0 \
    REEPLAN_API_PORT=8000 \
    REEPLAN_API_DATA_DIR=/var/lib/reeplan \
    REEPLAN_STORE=/var/lib/reeplan/runs.sqlite \
    MPLCONFIGDIR=/tmp/matplotlib
RUN useradd --system --create-home --home-dir /home/reeplan --uid 10001 reeplan \
 && mkdir -p /var/lib/reeplan && chown reeplan /var/lib/reeplan
COPY --from=build /opt/reeplan /opt/reeplan
USER reeplan
WORKDIR /home/reeplan
VOLUME ["/var/lib/reeplan"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"
# uvicorn handles SIGTERM: the app stops taking jobs and marks running ones failed.
STOPSIGNAL SIGTERM
CMD ["reeplan", "serve"]
