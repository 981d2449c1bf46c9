"""Composing post texts from the phrase banks, so that posts rarely repeat."""

from __future__ import annotations

import random
from typing import Any

from collectors.demo.model import DemoBrand, Post
from collectors.demo.phrases_de_fr_es import DE, ES, FR
from collectors.demo.phrases_nl_en import EN, NL

BANKS: dict[str, dict[str, Any]] = {"nl": NL, "en": EN, "de": DE, "fr": FR, "es": ES}
EMOJI = {
    "positive": ["😍", "👍", "🙌", "💚", "🚲", "😊"],
    "negative": ["😡", "🤬", "😤", "👎", "🙄"],
    "neutral": ["🤔", "👀", ""],
}


def for_sector(templates: list[str], sector: str) -> list[str]:
    """Templates may start with ``ebike|energy::`` to say which products they fit."""
    fitting = []
    for template in templates:
        sectors, marker, text = template.partition("::")
        if not marker:
            fitting.append(template)
        elif sector in sectors.split("|"):
            fitting.append(text)
    return fitting


class Writer:
    """Fills templates with brand details, aspect sentences, openers, emoji and tags."""

    def fill(
        self, rng: random.Random, template: str, lang: str, brand: DemoBrand, handle: str = ""
    ) -> str:
        return template.format(
            brand=brand.name,
            product=BANKS[lang]["products"][brand.sector],
            model=rng.choice(brand.models),
            competitor=rng.choice(brand.competitors),
            days=rng.randrange(2, 15),
            price=rng.choice([39, 49, 89, 129, 180, 249, 312, 480]),
            handle=handle,
        )

    def reply_text(self, rng: random.Random, root: Post, bank_key: str, sentiment: str) -> str:
        bank = BANKS[root.lang]
        parts = [
            self.fill(
                rng,
                rng.choice(bank["reply"][bank_key]),
                root.lang,
                root.brand,
                handle=root.author.handle,
            )
        ]
        if bank_key.startswith("agree") and rng.random() < 0.6:
            aspects = bank["good" if sentiment == "positive" else "bad"][root.brand.sector]
            parts.append(self.fill(rng, rng.choice(aspects), root.lang, root.brand))
        if bank_key.startswith("prospect") and rng.random() < 0.3:
            parts.append(
                self.fill(
                    rng, rng.choice(bank["core"]["consideration/neutral"]), root.lang, root.brand
                )
            )
        if bank_key != "care" and rng.random() < 0.3:
            parts.append(rng.choice(EMOJI[sentiment]))
        return " ".join(part for part in parts if part)

    def compose(
        self,
        rng: random.Random,
        lang: str,
        stage: str,
        sentiment: str,
        brand: DemoBrand,
        *,
        long: bool,
    ) -> str:
        bank = BANKS[lang]
        cores = bank["core"].get(f"{stage}/{sentiment}") or bank["core"][f"{stage}/neutral"]
        core = rng.choice(for_sector(cores, brand.sector))
        opener = "" if stage == "none" else rng.choice(bank["openers"][sentiment])
        sentences = [opener + self.fill(rng, core, lang, brand)]
        if sentiment != "neutral" and stage in ("purchase", "experience", "advocacy"):
            aspects = bank["good" if sentiment == "positive" else "bad"][brand.sector]
            for aspect in rng.sample(
                aspects, k=min(len(aspects), rng.randrange(3 if long else 2) + long)
            ):
                sentences.append(self.fill(rng, aspect, lang, brand))
        closer = "" if stage == "none" else rng.choice(bank["closers"][sentiment])
        if closer:
            sentences.append(closer)
        if rng.random() < 0.35:
            sentences.append(rng.choice(EMOJI[sentiment]))
        if rng.random() < 0.2:
            sentences.append(rng.choice([f"#{brand.name.lower()}", rng.choice(bank["hashtags"])]))
        text = " ".join(part for part in sentences if part)
        if long:  # a Reddit submission: the first sentence is the title
            title, _, body = text.partition(". ")
            text = f"{title}\n\n{body}" if body else title
        elif rng.random() < 0.08:
            text = text.lower()
        return text
