# uforge-mock in a small image: Debian's python3, the project in a virtualenv, no compiler.
#
#   docker build -t uforge-mock .
#   docker run -p 8080:8080 -v uforge-mock-data:/data uforge-mock
#
# Every setting is a UFORGE_MOCK_* environment variable (README, Settings). The server upgrades
# its store at start and loads the demo dataset into an empty one. Plain Dockerfile syntax: it
# builds with the classic builder as well as with BuildKit.

# ---------------------------------------------------------------- build: the virtualenv
FROM debian:bookworm-slim AS build
# The classic builder keeps this stage as an untagged image: the label lets it be pruned alone.
LABEL uforge-mock.stage=build
ENV DEBIAN_FRONTEND=noninteractive \
    PIP_DISABLE_PIP_VERSION_CHECK=1
# Debian's own python3 (3.11 in bookworm), the same one the runtime stage installs.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-venv ca-certificates \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml README.md ./
COPY app ./app
COPY migrations ./migrations
# The project as a wheel, built by setuptools (fetched by pip for the build alone): the `app/`
# folder becomes the package `uforge_mock`, with migrations/ and the demo dataset inside it.
# Then installed with binary wheels only: nothing is compiled, so neither stage needs a
# compiler. pip and setuptools are not kept.
RUN python3 -m venv /opt/uforge-mock \
 && /opt/uforge-mock/bin/pip wheel --no-cache-dir --no-deps --wheel-dir /tmp/wheels . \
 && /opt/uforge-mock/bin/pip install --no-cache-dir --only-binary=:all: /tmp/wheels/*.whl \
 && /opt/uforge-mock/bin/pip uninstall --yes pip setuptools \
 && rm -rf /tmp/wheels

# ---------------------------------------------------------------- runtime
FROM debian:bookworm-slim
ENV DEBIAN_FRONTEND=noninteractive
# apt-get clean: not every Debian base deletes the downloaded packages by itself.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 uforge \
 && useradd --system --uid 10001 --gid 10001 --home-dir /data --no-create-home uforge \
 && mkdir /data \
 && chown 10001:10001 /data
COPY --from=build /opt/uforge-mock /opt/uforge-mock
ENV PATH=/opt/uforge-mock/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UFORGE_MOCK_HOST=0.0.0.0 \
    UFORGE_MOCK_PORT=8080 \
    UFORGE_MOCK_DATA_DIR=/data \
    UFORGE_MOCK_WORKERS=1
# The SQLite store (when no UFORGE_MOCK_DATABASE_URL is given) lives here.
VOLUME /data
WORKDIR /data
USER 10001:10001
EXPOSE 8080
# urlopen raises on anything but a 2xx, so the check fails unless /api/status answers.
HEALTHCHECK --interval=5s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python3", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/api/status' % os.environ.get('UFORGE_MOCK_PORT', '8080'), timeout=4)"]
CMD ["uforge-mock", "serve"]
