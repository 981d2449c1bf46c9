"""Offline language identification (py3langid ships its model inside the package)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

_NOISE = re.compile(r"(https?://\S+|@\w+|#)")
MIN_LETTERS = 3


@lru_cache(maxsize=1)
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str) -> str | None:
    """ISO 639-1 code, or None where there is too little text to tell (emoji, links)."""
    cleaned = _NOISE.sub(" ", text)
    if sum(char.isalpha() for char in cleaned) < MIN_LETTERS:
        return None
    lang, _probability = _identifier().classify(cleaned)
    return lang
