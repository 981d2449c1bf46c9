"""The trained weights on top of the encoder: two linear heads, temperatures, metadata.

Both heads read the same forward pass, so one pass classifies sentiment and journey
stage. The sentiment head reads the text's pooled embedding; with ``parent_features`` the
stage head also reads the pooled embedding of the post a reply answers. A bundle is a
folder with ``heads.safetensors``, ``heads.json`` and, when the encoder itself was
fine-tuned, a peft LoRA ``adapter/``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

BUNDLED_HEADS = Path(__file__).with_name("weights")


class HeadsError(RuntimeError):
    """A heads bundle is missing, unreadable or does not fit the configuration."""


@dataclass
class HeadsInfo:
    encoder: str
    sentiment_labels: list[str]
    stage_labels: list[str]
    prefix: str = "query: "
    max_length: int = 128
    pool_layers: int = 4
    # Tokens of the answered post a reply reads as context (0: replies read alone).
    context_tokens: int = 0
    # The stage head also reads the answered post's pooled tokens (same forward pass).
    parent_features: bool = False
    adapter: str | None = None
    training: dict[str, Any] = field(default_factory=dict)


def _torch_heads(dim: int, sentiment: int, stage: int, stage_dim: int) -> Any:
    """``stage_dim`` is ``dim`` or, with parent features, twice it (text, then parent)."""
    import torch

    class Heads(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.sentiment = torch.nn.Linear(dim, sentiment)
            self.stage = torch.nn.Linear(stage_dim, stage)
            self.register_buffer("sentiment_temperature", torch.ones(()))
            self.register_buffer("stage_temperature", torch.ones(()))

        def forward(self, pooled: Any) -> tuple[Any, Any]:
            return (
                self.sentiment(pooled[:, :dim]) / self.sentiment_temperature,
                self.stage(pooled[:, :stage_dim]) / self.stage_temperature,
            )

    return Heads()


class HeadsBundle:
    def __init__(self, info: HeadsInfo, module: Any, folder: Path | None = None) -> None:
        self.info = info
        self.module = module
        self.folder = folder
        self.weights_file = "heads.safetensors"  # heads-int8.safetensors for int8 features

    @classmethod
    def create(cls, info: HeadsInfo, dim: int) -> HeadsBundle:
        stage_dim = dim * 2 if info.parent_features else dim
        labels = len(info.sentiment_labels), len(info.stage_labels)
        return cls(info, _torch_heads(dim, *labels, stage_dim))

    def set_linear(self, head: str, weight: np.ndarray, bias: np.ndarray) -> None:
        import torch

        layer = getattr(self.module, head)
        with torch.no_grad():
            layer.weight.copy_(torch.from_numpy(np.asarray(weight, dtype=np.float32)))
            layer.bias.copy_(torch.from_numpy(np.asarray(bias, dtype=np.float32)))

    def set_temperature(self, head: str, value: float) -> None:
        getattr(self.module, f"{head}_temperature").fill_(float(value))

    def save_weights(self, path: Path) -> None:
        from safetensors.torch import save_file

        state = {k: v.detach().cpu().contiguous() for k, v in self.module.state_dict().items()}
        save_file(state, str(path))

    def save(self, folder: Path, adapter_model: Any = None) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.save_weights(folder / "heads.safetensors")
        if adapter_model is not None:
            adapter = folder / "adapter"
            # No embedding-layer check: it looks the base model up on the hub (offline here).
            adapter_model.save_pretrained(str(adapter), save_embedding_layers=False)
            # No local paths in committed files, and no generated model card.
            config_file = adapter / "adapter_config.json"
            adapter_config = json.loads(config_file.read_text())
            adapter_config["base_model_name_or_path"] = self.info.encoder
            if isinstance(adapter_config.get("target_modules"), list):  # a set in peft
                adapter_config["target_modules"] = sorted(adapter_config["target_modules"])
            config_file.write_text(json.dumps(adapter_config, indent=2, sort_keys=True) + "\n")
            (adapter / "README.md").unlink(missing_ok=True)
            self.info.adapter = "adapter"
        (folder / "heads.json").write_text(json.dumps(asdict(self.info), indent=2) + "\n")
        self.folder = folder

    @classmethod
    def load(cls, folder: Path, weights_file: str = "heads.safetensors") -> HeadsBundle:
        """``weights_file``: heads-int8.safetensors for the heads fitted on int8 features."""
        from safetensors.torch import load_file

        meta, weights = folder / "heads.json", folder / weights_file
        if not meta.is_file() or not weights.is_file():
            raise HeadsError(
                f"no trained heads in {folder} (expected heads.json and {weights_file}); "
                "train them with `umot train` or set model.heads"
            )
        try:
            info = HeadsInfo(**json.loads(meta.read_text(encoding="utf-8")))
            state = load_file(str(weights))
        except (ValueError, TypeError, OSError) as error:
            raise HeadsError(f"cannot read the heads in {folder}: {error}") from None
        dim = state["sentiment.weight"].shape[1]
        bundle = cls.create(info, dim)
        try:
            bundle.module.load_state_dict(state)
        except RuntimeError as error:
            raise HeadsError(f"the heads in {folder} do not match heads.json: {error}") from None
        bundle.module.eval()
        bundle.folder = folder
        bundle.weights_file = weights_file
        return bundle

    def fingerprint(self) -> str:
        """Changes whenever the weights change, so new weights classify everything again."""
        digest = hashlib.sha256()
        if self.folder is not None:
            files = [self.folder / self.weights_file]
            if self.info.adapter:
                files += sorted((self.folder / self.info.adapter).glob("*"))
            for path in files:
                digest.update(path.read_bytes())
        return digest.hexdigest()[:10]
