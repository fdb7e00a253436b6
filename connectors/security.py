"""The security settings as each client library wants them: one place, so no Kafka or Elasticsearch client is
made without them. Secrets leave their SecretStr only here, on their way into a client."""

from __future__ import annotations

import ssl
from typing import TYPE_CHECKING, Any

from wiredesk.pipeline.settings import Settings

if TYPE_CHECKING:  # Faust takes a second to import: only the worker needs it, not every command
    import faust


def kafka_kwargs(settings: Settings) -> dict[str, Any]:
    """bootstrap_servers and security keyword arguments for kafka-python's producer, consumer and admin client."""
    kwargs: dict[str, Any] = {
        "bootstrap_servers": settings.kafka_bootstrap,
        "security_protocol": settings.kafka_security_protocol,
    }
    if settings.kafka_security_protocol in ("SSL", "SASL_SSL"):
        kwargs.update(
            ssl_cafile=_path(settings.kafka_ca_file),
            ssl_certfile=_path(settings.kafka_cert_file),
            ssl_keyfile=_path(settings.kafka_key_file),
        )
    if settings.kafka_security_protocol.startswith("SASL"):
        assert settings.kafka_sasl_password is not None  # Settings refuses SASL without one
        kwargs.update(
            sasl_mechanism=settings.kafka_sasl_mechanism,
            sasl_plain_username=settings.kafka_sasl_username,
            sasl_plain_password=settings.kafka_sasl_password.get_secret_value(),
        )
    return kwargs


def kafka_ssl_context(settings: Settings) -> ssl.SSLContext:
    """Verifies the broker against the CA file (the system's CAs when unset); presents the client certificate
    when one is configured."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=_path(settings.kafka_ca_file))
    if settings.kafka_cert_file is not None:
        context.load_cert_chain(str(settings.kafka_cert_file), _path(settings.kafka_key_file))
    return context


def faust_credentials(settings: Settings) -> faust.SASLCredentials | faust.SSLCredentials | None:
    """Faust's broker_credentials for the security protocol; None for PLAINTEXT."""
    import faust

    protocol = settings.kafka_security_protocol
    if protocol == "SSL":
        return faust.SSLCredentials(kafka_ssl_context(settings))
    if protocol.startswith("SASL"):
        assert settings.kafka_sasl_password is not None  # Settings refuses SASL without one
        return faust.SASLCredentials(
            username=settings.kafka_sasl_username,
            password=settings.kafka_sasl_password.get_secret_value(),
            mechanism=settings.kafka_sasl_mechanism,
            # With a context Faust speaks SASL_SSL, without one SASL_PLAINTEXT.
            ssl_context=kafka_ssl_context(settings) if protocol == "SASL_SSL" else None,
        )
    return None


def search_kwargs(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for Elasticsearch and AsyncElasticsearch: the URL first, then auth and TLS."""
    kwargs: dict[str, Any] = {"hosts": settings.search_url, "request_timeout": settings.request_timeout_s}
    if settings.search_api_key is not None:
        kwargs["api_key"] = settings.search_api_key.get_secret_value()
    if settings.search_username is not None and settings.search_password is not None:
        kwargs["basic_auth"] = (settings.search_username, settings.search_password.get_secret_value())
    # The client refuses TLS options with an http:// URL, so they are passed only when they say something.
    if settings.search_ca_file is not None:
        kwargs["ca_certs"] = str(settings.search_ca_file)
    if not settings.search_verify_certs:
        kwargs["verify_certs"] = False
    return kwargs


def _path(path: object) -> str | None:
    return None if path is None else str(path)
