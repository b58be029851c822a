# The grayrelease operator image, used by charts/grayrelease.
#
#   docker build -t ghcr.io/grayrelease/grayrelease:$(python -c 'import sys; sys.path.insert(0, "operator"); import grayrelease; print(grayrelease.__version__)') .
#
# Two stages: the builder turns the source into a wheel and installs it with its dependencies
# into a virtual environment; the final stage copies only that environment onto the same slim
# Python base (the venv's interpreter links to /usr/local/bin/python3.11, present in both), adds
# a non-root user and nothing else: no compiler, no source tree, no pip cache.

ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS builder
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY operator ./operator
RUN python -m venv /opt/venv \
 && /opt/venv/bin/pip wheel --no-deps --wheel-dir /wheels . \
 && /opt/venv/bin/pip install /wheels/*.whl

FROM ${PYTHON_IMAGE}
LABEL org.opencontainers.image.title="grayrelease" \
      org.opencontainers.image.description="Progressive delivery operator for Kubernetes" \
      org.opencontainers.image.licenses="Apache-2.0"
RUN groupadd --system --gid 10001 grayrelease \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin grayrelease
COPY --from=builder /opt/venv /opt/venv
# The root filesystem is mounted read-only by the chart: no bytecode is written at run time.
ENV PATH=/opt/venv/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
USER 10001:10001
# 8080: kopf's liveness endpoint; 9100: Prometheus metrics.
EXPOSE 8080 9100
ENTRYPOINT ["grayrelease", "run"]
