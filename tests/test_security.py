"""Security settings: what each client gets for each protocol, and secrets that never show."""

from __future__ import annotations

import logging
import ssl
from pathlib import Path

import certifi
import faust
import pytest
from click.testing import CliRunner
from faust.types.auth import AuthProtocol
from pydantic import ValidationError

from tests.conftest import settings_env
from wiredesk.connectors.cli import main
from wiredesk.connectors.security import faust_credentials, kafka_kwargs, search_kwargs
from wiredesk.pipeline.settings import Settings, redact_url

SECRET = "s3cret-Pa55"
# A real CA bundle, so TLS contexts can be built without a broker.
CA = Path(certifi.where())


def settings(**kw: object) -> Settings:
    return Settings(broker_url="kafka://broker.example:9093,broker2.example:9093", **kw)  # type: ignore[arg-type]


def test_plaintext_is_the_bootstrap_list_alone() -> None:
    s = settings()
    assert kafka_kwargs(s) == {
        "bootstrap_servers": "broker.example:9093,broker2.example:9093",
        "security_protocol": "PLAINTEXT",
    }
    assert faust_credentials(s) is None


def test_ssl_with_client_certificate() -> None:
    s = settings(kafka_security_protocol="SSL", kafka_ca_file=CA, kafka_cert_file="/c.pem", kafka_key_file="/k.pem")
    assert kafka_kwargs(s) == {
        "bootstrap_servers": "broker.example:9093,broker2.example:9093",
        "security_protocol": "SSL",
        "ssl_cafile": str(CA),
        "ssl_certfile": "/c.pem",
        "ssl_keyfile": "/k.pem",
    }


def test_ssl_credentials_for_faust_verify_the_broker() -> None:
    creds = faust_credentials(settings(kafka_security_protocol="SSL", kafka_ca_file=CA))
    assert isinstance(creds, faust.SSLCredentials)
    assert creds.protocol is AuthProtocol.SSL
    assert creds.context.verify_mode is ssl.CERT_REQUIRED and creds.context.check_hostname


@pytest.mark.parametrize("mechanism", ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"])
def test_sasl_plaintext(mechanism: str) -> None:
    s = settings(
        kafka_security_protocol="SASL_PLAINTEXT",
        kafka_sasl_mechanism=mechanism,
        kafka_sasl_username="wire",
        kafka_sasl_password=SECRET,
    )
    assert kafka_kwargs(s) == {
        "bootstrap_servers": "broker.example:9093,broker2.example:9093",
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": mechanism,
        "sasl_plain_username": "wire",
        "sasl_plain_password": SECRET,
    }
    creds = faust_credentials(s)
    assert isinstance(creds, faust.SASLCredentials)
    assert (creds.protocol, creds.mechanism.value, creds.username, creds.password) == (
        AuthProtocol.SASL_PLAINTEXT,
        mechanism,
        "wire",
        SECRET,
    )
    assert creds.ssl_context is None
    assert SECRET not in repr(creds)


def test_sasl_ssl() -> None:
    s = settings(
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_mechanism="SCRAM-SHA-512",
        kafka_sasl_username="wire",
        kafka_sasl_password=SECRET,
        kafka_ca_file=CA,
    )
    kwargs = kafka_kwargs(s)
    assert kwargs["security_protocol"] == "SASL_SSL" and kwargs["ssl_cafile"] == str(CA)
    assert kwargs["sasl_mechanism"] == "SCRAM-SHA-512" and kwargs["sasl_plain_password"] == SECRET
    creds = faust_credentials(s)
    assert isinstance(creds, faust.SASLCredentials)
    assert creds.protocol is AuthProtocol.SASL_SSL and creds.ssl_context is not None


@pytest.mark.parametrize(
    ("kw", "says"),
    [
        ({"kafka_security_protocol": "SASL_SSL", "kafka_sasl_username": "wire"}, "WIREDESK_KAFKA_SASL_PASSWORD"),
        ({"kafka_cert_file": "/c.pem", "kafka_sasl_password": SECRET}, "WIREDESK_KAFKA_KEY_FILE"),
        ({"search_username": "elastic"}, "WIREDESK_SEARCH_PASSWORD"),
        ({"search_api_key": SECRET, "search_username": "e", "search_password": SECRET}, "not both"),
        ({"search_ca_file": CA, "search_api_key": SECRET}, "https://"),
    ],
)
def test_half_a_configuration_is_refused_without_showing_secrets(kw: dict[str, object], says: str) -> None:
    with pytest.raises(ValidationError) as info:
        settings(**kw)
    assert says in str(info.value)
    assert SECRET not in str(info.value) and SECRET not in repr(info.value)


def test_search_kwargs() -> None:
    assert search_kwargs(Settings(search_url="http://es:9200")) == {"hosts": "http://es:9200", "request_timeout": 30.0}
    s = Settings(search_url="https://es:9200", search_api_key=SECRET, search_ca_file=CA, search_verify_certs=False)
    assert search_kwargs(s) == {
        "hosts": "https://es:9200",
        "request_timeout": 30.0,
        "api_key": SECRET,
        "ca_certs": str(CA),
        "verify_certs": False,
    }
    basic = search_kwargs(Settings(search_url="https://es:9200", search_username="elastic", search_password=SECRET))
    assert basic["basic_auth"] == ("elastic", SECRET) and "api_key" not in basic


def test_every_client_constructor_accepts_the_kwargs() -> None:
    """The kwargs are the libraries' own parameter names: building the clients (no connection yet) accepts them."""
    from elasticsearch import AsyncElasticsearch, Elasticsearch

    s = Settings(search_url="https://es:9200", search_username="elastic", search_password=SECRET, search_ca_file=CA)
    Elasticsearch(**search_kwargs(s)).close()
    AsyncElasticsearch(**search_kwargs(s))
    from kafka import KafkaConsumer

    s = settings(
        kafka_security_protocol="SASL_SSL", kafka_sasl_username="wire", kafka_sasl_password=SECRET, kafka_ca_file=CA
    )
    # kafka-python validates its configuration keys before it connects.
    config = {**KafkaConsumer.DEFAULT_CONFIG}
    assert set(kafka_kwargs(s)) <= set(config)


def secrets_settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        broker_url="kafka://127.0.0.1:1",
        search_url=f"http://elastic:{SECRET}@127.0.0.1:1",
        kafka_security_protocol="SASL_PLAINTEXT",
        kafka_sasl_username="wire",
        kafka_sasl_password=SECRET,
        search_api_key=SECRET + "-key",
    )


def test_secrets_never_in_repr_str_dump_or_logs(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    s = secrets_settings(tmp_path)
    caplog.set_level(logging.INFO)
    logging.getLogger("test").info("settings: %s / %r", s, s)
    for shown in (repr(s), str(s), s.model_dump_json(), str(s.model_dump()), caplog.text):
        assert "s3cret" not in shown.replace(f"elastic:{SECRET}@", ""), shown  # the URL's own password: below
    assert SECRET not in redact_url(s.search_url) and redact_url(s.search_url) == "http://elastic:***@127.0.0.1:1"
    assert SECRET not in s.unreachable("search")


def test_secrets_round_trip_to_a_worker_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    s = secrets_settings(tmp_path)
    env = settings_env(s)
    assert env["WIREDESK_KAFKA_SASL_PASSWORD"] == SECRET  # the secret itself, not its mask
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    again = Settings()
    assert again.kafka_sasl_password is not None and again.kafka_sasl_password.get_secret_value() == SECRET
    assert again.search_api_key is not None and again.search_api_key.get_secret_value() == SECRET + "-key"
    assert again == s


def test_status_json_and_errors_do_not_show_secrets(tmp_path: Path) -> None:
    env = settings_env(secrets_settings(tmp_path))
    result = CliRunner().invoke(main, ["status", "--json"], env=env)
    assert result.exit_code == 69, result.output
    assert (
        "s3cret" not in result.output and "s3cret" not in result.stderr and "elastic:***@127.0.0.1:1" in result.output
    )
    # A refused configuration is reported by name, without the values.
    bad = CliRunner().invoke(main, ["status"], env={**env, "WIREDESK_KAFKA_CERT_FILE": "/c.pem"})
    assert bad.exit_code == 1 and "WIREDESK_KAFKA_KEY_FILE" in bad.output and "s3cret" not in bad.output
