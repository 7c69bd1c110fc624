# 民情通 bot image: `docker compose up` (compose.yaml) runs it with PostgreSQL and Caddy.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    MINQING_SERVER_HOST=0.0.0.0 MINQING_DATA_DIR=/var/lib/minqing MINQING_LOG_FORMAT=json
# pg_dump/pg_restore for `minqing backup` / `minqing restore`
RUN apt-get update && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home-dir /var/lib/minqing --create-home minqing
WORKDIR /opt/minqing
COPY pyproject.toml README.md ./
COPY bot bot
COPY handlers handlers
COPY scheduler scheduler
COPY storage storage
RUN pip install --no-cache-dir . \
    && MINQING_NLU_CACHE=/opt/minqing/nlu-cache python -c "from handlers.nlu import Parser; Parser.load(cache_dir='/tmp/jieba')" \
    && chown -R minqing /opt/minqing/nlu-cache
ENV MINQING_NLU_CACHE=/opt/minqing/nlu-cache
USER minqing
EXPOSE 8080
# docker stop sends SIGTERM: in-flight messages and sends finish before the process exits
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --start-period=90s \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8080/readyz', timeout=4).status != 200)"
CMD ["minqing", "serve"]
