# lapor-ppa: the bot as an image. Build: docker build -t lapor-ppa .
# Compiled catalogs, a non-root user, no compiler in the final image.

FROM python:3.12-slim AS build
WORKDIR /src
RUN pip install --no-cache-dir build==1.2.2.post1 Babel==2.16.0
COPY pyproject.toml README.md LICENSE ./
COPY bot ./bot
COPY handlers ./handlers
COPY flows ./flows
COPY storage ./storage
COPY locales ./locales
RUN pybabel compile -d locales -D messages \
    && python -m build --wheel --outdir /wheels .

FROM python:3.12-slim
ENV PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    LOG_FORMAT=json \
    WEBHOOK_LISTEN=0.0.0.0:8080 \
    METRICS_LISTEN=0.0.0.0:9090
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl \
    && rm -rf /wheels \
    && useradd --system --uid 10001 --home-dir /app --create-home --shell /usr/sbin/nologin lapor
WORKDIR /app
USER 10001
# 8080: the webhook (public, behind the TLS proxy); 9090: /healthz, /readyz, /metrics (internal).
EXPOSE 8080 9090
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:9090/healthz', timeout=4).status != 200)"]
ENTRYPOINT ["lapor-ppa"]
CMD ["run"]
