"""The demo's cast: invented brands, the people who post, and the posts themselves."""

from __future__ import annotations

import hashlib
import math
import random
import string
from dataclasses import dataclass, field
from datetime import datetime

FIRST_NAMES = {
    "nl": [
        "sanne",
        "daan",
        "lotte",
        "bram",
        "fleur",
        "joris",
        "eva",
        "thijs",
        "anouk",
        "ruben",
        "femke",
        "wouter",
        "iris",
        "niels",
        "mirjam",
        "kees",
        "yara",
        "sem",
        "noor",
        "pim",
    ],
    "en": ["emma", "jack", "olivia", "harry", "amelia", "noah", "sophie", "leo", "grace", "sam"],
    "de": ["lena", "jonas", "mia", "lukas", "hannah", "felix", "anna", "paul"],
    "fr": ["camille", "lucas", "chloe", "hugo", "manon", "louis", "ines", "theo"],
    "es": ["lucia", "pablo", "maria", "alvaro", "carmen", "diego", "sara", "javier"],
}


@dataclass(frozen=True)
class DemoBrand:
    name: str
    sector: str
    care_handle: str
    models: tuple[str, ...]
    competitors: tuple[str, ...]
    share: float


DEMO_BRANDS = (
    DemoBrand(
        "Velora",
        "ebike",
        "VeloraCare",
        ("Velora Stad S2", "Velora Tour 5", "Velora Cargo"),
        ("Trapkracht", "Rijwiel Rood"),
        0.36,
    ),
    DemoBrand(
        "Polderstroom",
        "energy",
        "PolderstroomNL",
        ("Groen Vast", "Flex Dynamisch", "Zon & Wind"),
        ("Windkracht Energie", "Zonnehuys"),
        0.39,
    ),
    DemoBrand(
        "Smaakdoos",
        "mealkit",
        "SmaakdoosHelpt",
        ("Gezinsbox", "Veggie Box", "Snelle Hap"),
        ("Kookkist", "Verspakket"),
        0.25,
    ),
)


@dataclass(frozen=True)
class Author:
    handle: str
    name: str
    lang: str
    followers: int
    native_id: str


@dataclass
class Post:
    """A generated post before it becomes a Mention; ids here are platform-native."""

    platform: str
    native_id: str
    created_at: datetime
    author: Author
    brand: DemoBrand
    lang: str
    text: str
    stage: str
    sentiment: str
    role: str
    url: str = ""
    parent_id: str | None = None
    quoted_id: str | None = None
    reposted_id: str | None = None
    conversation_id: str | None = None
    likes: int = 0
    reposts: int = 0
    replies: int = 0
    quotes: int = 0
    children: list[Post] = field(default_factory=list)


def stable_int(*parts: object) -> int:
    digest = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def build_authors(seed: int) -> dict[str, list[Author]]:
    """The same people post again and again, so their journeys can be followed."""
    rng = random.Random(f"{seed}:authors")
    sizes = {"nl": 420, "en": 260, "de": 130, "fr": 120, "es": 120}
    pool: dict[str, list[Author]] = {}
    for lang, size in sizes.items():
        people, handles = [], set()
        while len(people) < size:
            first = rng.choice(FIRST_NAMES[lang])
            style = rng.randrange(4)
            suffix = rng.choice(string.ascii_lowercase) + str(rng.randrange(10, 99))
            handle = [
                f"{first}_{suffix}",
                f"{first}{rng.randrange(70, 100)}",
                f"{first}.{suffix}",
                f"the_real_{first}{rng.randrange(1, 9)}",
            ][style]
            if handle in handles:
                continue
            handles.add(handle)
            followers = int(math.exp(rng.gauss(5.4, 1.7)))
            if rng.random() < 0.01:
                followers = rng.randrange(20_000, 250_000)  # the odd influencer
            people.append(
                Author(
                    handle,
                    first.capitalize(),
                    lang,
                    followers,
                    str(stable_int(seed, "author", lang, handle) % 10**12),
                )
            )
        pool[lang] = people
    return pool
