"""Log format and level of the worker and of the command line (WIREDESK_LOG_FORMAT, WIREDESK_LOG_LEVEL)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from wiredesk.pipeline.settings import Settings

# The text format of the command line; the worker's text format is Faust's own ("[date] [pid] [LEVEL] ...").
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


# Loggers of the Kafka and Elasticsearch clients.
CHATTY = ("kafka", "elastic_transport")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, and the traceback if any."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_cli(settings: Settings) -> None:
    """Root logger of a command: stderr (stdout is for the command's output), in the configured format."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if settings.log_format == "json" else logging.Formatter(TEXT_FORMAT))
    if settings.log_level != "DEBUG":
        handler.addFilter(_quiet_clients)
    # Not forced: where logging is already set up (a test runner, a program embedding the CLI) it is left alone.
    logging.basicConfig(level=settings.log_level, handlers=[handler])


def _quiet_clients(record: logging.LogRecord) -> bool:
    """The clients log every request at INFO and every retry or dead node as a warning with a traceback: noise
    around a command's output, which says itself in one line when a server does not answer. Their errors still
    show; DEBUG shows everything. A filter on the command's handler, not logger levels: `wiredesk worker` replaces
    the handler with Faust's, and the worker keeps the clients' warnings."""
    return record.levelno >= logging.ERROR or record.name.split(".", 1)[0] not in CHATTY


def worker_logging_config(settings: Settings) -> dict[str, Any] | None:
    """What the worker hands Faust (mode's dictConfig, merged over its own): None keeps Faust's text format."""
    if settings.log_format == "text":
        return None
    return {
        "merge": True,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {
            "default": {
                "level": settings.log_level,
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stdout",
            }
        },
    }
