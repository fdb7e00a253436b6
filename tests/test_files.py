"""Reading article files: every kind of bad input is refused with a reason a person can act on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wiredesk.connectors.dlq import file_articles
from wiredesk.connectors.files import decode, read_articles
from wiredesk.connectors.formats import ItemError
from wiredesk.pipeline.errors import InvalidInput
from wiredesk.pipeline.models import ContentType, RawArticle

LIMIT = 1_000_000


def only(items: list[RawArticle | ItemError]) -> RawArticle:
    (item,) = items
    assert isinstance(item, RawArticle), item
    return item


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("empty.txt", b"", "empty file"),
        ("blank.txt", b" \n\t\n", "only whitespace"),
        ("binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00", "binary"),
        ("latin1.txt", "café société".encode("latin-1"), "not valid UTF-8"),
        ("bad.json", b'{"title": "x", "body": ', "malformed JSON"),
        ("emptylist.json", b"[]", "empty JSON array"),
        ("unknown.json", b'{"headline": "x"}', "neither ninjs"),
        ("feed.xml", b"<rss><channel><item>", "malformed XML"),
        ("nobody.json", b'{"title": "x"}', "body: Field required"),
        ("wrongtype.json", b'{"body": "text", "published_at": "yesterday-ish"}', "published_at"),
        ("emptybody.json", b'{"body": "   "}', "empty body"),
    ],
)
def test_bad_files_are_refused_with_a_reason(tmp_path: Path, name: str, data: bytes, reason: str) -> None:
    with pytest.raises(InvalidInput, match=reason):
        read_articles(write(tmp_path, name, data), max_bytes=LIMIT)


def test_size_limit(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="over the 10-byte limit"):
        read_articles(write(tmp_path, "big.txt", b"x" * 11), max_bytes=10)


def test_vanished_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="disappeared"):
        read_articles(tmp_path / "gone.txt", max_bytes=LIMIT)


def test_symlink_out_of_drop_folder_is_refused(tmp_path: Path) -> None:
    outside = write(tmp_path, "secret.txt", b"not for the pipeline")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "link.txt").symlink_to(outside)
    with pytest.raises(InvalidInput, match="outside the drop folder"):
        read_articles(inbox / "link.txt", max_bytes=LIMIT, root=inbox)


def test_utf16_with_bom_and_utf8_bom_decode() -> None:
    assert decode("Blinken meets Liu".encode("utf-16")) == "Blinken meets Liu"
    assert decode(b"\xef\xbb\xbfBlinken") == "Blinken"


def test_json_article_fields(tmp_path: Path) -> None:
    doc = {
        "title": "Blinken meets Liu",
        "body": "US Secretary of State Antony Blinken met Liu Jianchao.",
        "source": "Wion",
        "url": "https://example.org/a",
        "published_at": "2024-01-13T10:00:00Z",
    }
    raw = only(read_articles(write(tmp_path, "a.json", json.dumps(doc).encode()), max_bytes=LIMIT))
    assert (raw.title, raw.source, raw.url) == ("Blinken meets Liu", "Wion", "https://example.org/a")
    assert raw.published_at is not None and raw.published_at.year == 2024
    assert raw.content_type is ContentType.TEXT


def test_html_and_folder_source(tmp_path: Path) -> None:
    folder = tmp_path / "inbox" / "reuters"
    folder.mkdir(parents=True)
    path = write(folder, "a.html", b"<html><body><p>Hello</p></body></html>")
    raw = only(read_articles(path, max_bytes=LIMIT, root=tmp_path / "inbox"))
    assert raw.content_type is ContentType.HTML
    assert raw.source == "reuters"


def test_article_id_is_deterministic_and_content_based(tmp_path: Path) -> None:
    a = only(read_articles(write(tmp_path, "a.txt", b"Same   text\n"), max_bytes=LIMIT))
    b = only(read_articles(write(tmp_path, "b.txt", b"same text"), max_bytes=LIMIT))
    c = only(read_articles(write(tmp_path, "c.txt", b"other text"), max_bytes=LIMIT))
    assert a.article_id == b.article_id != c.article_id


def test_item_source_wins_over_the_folder(tmp_path: Path) -> None:
    folder = tmp_path / "inbox" / "wires"
    folder.mkdir(parents=True)
    docs = [{"body": "One.", "source": "Reuters"}, {"body": "Two."}]
    items = read_articles(write(folder, "a.json", json.dumps(docs).encode()), max_bytes=LIMIT, root=tmp_path / "inbox")
    assert [i.source for i in items if isinstance(i, RawArticle)] == ["Reuters", "wires"]


def test_dlq_replay_reads_the_file_or_the_one_item_again(tmp_path: Path) -> None:
    """A produce-stage letter names the file (all of it is resent) or one item of it (`path#2`: that item)."""
    path = write(tmp_path, "a.json", json.dumps([{"body": "One."}, {"body": "Two."}, {"title": "x"}]).encode())
    assert [a.text for a in file_articles(str(path), LIMIT)] == ["One.", "Two."]
    assert [a.text for a in file_articles(f"{path}#2", LIMIT)] == ["Two."]
    assert file_articles(f"{path}#3", LIMIT) == []  # still not an article
    assert file_articles(str(tmp_path / "gone.json"), LIMIT) == []
