"""int8 inference on CPU: the encoder's Linear layers with int8 weights, chosen by measure.

Measured on 2 cores (800 demo texts with their parents, the bundled adapter merged):

| int8 layers (per-channel weights)           | speed   | cosine to fp32 (mean, min) |
|---------------------------------------------|---------|----------------------------|
| all 72 Linear layers                        | 3.02×   | 0.917, 0.356               |
| attention only (48)                         | 1.50×   | 0.998, 0.987               |
| attention + FFN up-projection (60), chosen  | 2.15×   | 0.990, 0.908               |
| FFN down-projection only (12)               | 1.63×   | 0.928, 0.391               |

The FFN's down-projection reads the GELU output, whose few very large activations ruin
the per-tensor int8 scale of dynamic quantization, so those 12 layers stay fp32.
Per-channel weight scales beat per-tensor ones (cosine 0.912 against 0.842 with every
layer in int8, and faster here). Heads read int8 features through their own weights,
fitted on int8 features (``heads-int8.safetensors``), since the features move.

The quantized weights are cached beside the converted model, keyed by the weights they
come from, written aside and renamed into place: an interrupted build leaves nothing.
"""

from __future__ import annotations

import copy
import hashlib
import os
import tempfile
import warnings
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nlp.data import Example

INT8_HEADS = "heads-int8.safetensors"


def int8_layers(model: Any) -> dict[str, Any]:
    """The Linear layers that go int8: attention and the FFN's up-projection."""
    import torch
    from torch.ao.quantization import per_channel_dynamic_qconfig

    return {
        name: per_channel_dynamic_qconfig
        for name, module in model.named_modules()
        if isinstance(module, torch.nn.Linear) and ("attention" in name or "intermediate" in name)
    }


def _quantize(model: Any) -> Any:
    import torch
    from torch.ao.quantization import quantize_dynamic

    with warnings.catch_warnings():  # torch.ao's deprecation notice, not ours to act on
        warnings.simplefilter("ignore")
        return quantize_dynamic(copy.deepcopy(model), int8_layers(model), dtype=torch.qint8)


def int8_key(encoder: str, adapter: Path | None) -> str:
    """What the fp32 weights come from: the encoder and the adapter merged into it."""
    digest = hashlib.sha256(encoder.encode())
    if adapter is not None:
        for path in sorted(adapter.glob("*.safetensors")):
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


KEEP_BUILDS = 3  # int8 builds kept in the cache; older adapters' ones are removed


def int8_model(model: Any, cache_dir: Path, key: str) -> Any:
    """``model`` with int8 layers, built once per ``key`` (the encoder and adapter the
    weights come from) and cached: only the int8 layers' packed weights are stored."""
    import torch

    quantized = _quantize(model)
    folder = cache_dir / "int8"
    path = folder / f"{key}.pt"
    if path.is_file():
        with warnings.catch_warnings():  # packed int8 weights use torch's older storage API
            warnings.simplefilter("ignore")
            # Our own cache file: packed int8 weights are not plain tensors, so the loader
            # must unpickle them (weights_only cannot).
            quantized.load_state_dict(torch.load(path, weights_only=False), strict=False)
        return quantized.eval()
    folder.mkdir(parents=True, exist_ok=True)
    layers = tuple(f"{name}." for name in int8_layers(model))
    state = quantized.state_dict()
    packed = OrderedDict((k, v) for k, v in state.items() if k.startswith(layers))
    packed._metadata = state._metadata  # type: ignore[attr-defined]  # the modules' versions
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    os.close(handle)
    try:
        torch.save(packed, temporary)
        os.replace(temporary, path)
    finally:
        Path(temporary).unlink(missing_ok=True)
    for old in sorted(folder.glob("*.pt"), key=lambda p: p.stat().st_mtime)[:-KEEP_BUILDS]:
        old.unlink(missing_ok=True)
    return quantized.eval()


def fit_int8_heads(
    folder: Path,
    examples: Sequence[Example],
    *,
    cache_dir: Path,
    progress: Callable[[str, int], Callable[[int], None]] | None = None,
) -> Path:
    """Heads for int8 features beside the fp32 ones in ``folder``: the same data, C and
    temperatures as the fp32 heads, refit on what the int8 encoder computes."""
    import numpy as np

    from nlp.classifier import HeadsScorer
    from nlp.label_training import refit_heads

    scorer = HeadsScorer.load(
        folder, cache_dir=cache_dir, device="cpu", backend="int8", heads_file="heads.safetensors"
    )
    bar = progress("int8 features", len(examples)) if progress else None
    x = scorer.pooled([e.text for e in examples], bar, [e.parent for e in examples])
    heads = refit_heads(
        scorer.bundle,
        x,
        [e.sentiment for e in examples],
        [e.stage for e in examples],
        np.ones(len(examples)),
    )
    target = folder / INT8_HEADS
    handle, temporary = tempfile.mkstemp(prefix=f".{INT8_HEADS}.", dir=folder)
    os.close(handle)
    try:
        heads.save_weights(Path(temporary))
        os.replace(temporary, target)
    finally:
        Path(temporary).unlink(missing_ok=True)
    return target
