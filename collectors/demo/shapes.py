"""Platform shapes: ids, links and Reddit fullnames as the real platforms make them."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import datetime
from typing import Any

from collectors.demo.model import Post, stable_int

SUBREDDITS = {
    "nl": ["thenetherlands", "nederlands"],
    "en": ["BuyItForLife", "AskUK"],
    "de": ["de", "Finanzen"],
    "fr": ["france", "conseiljuridique"],
    "es": ["spain", "esConversacion"],
}
INSTANCES = ["mastodon.social", "mastodon.nl", "mstdn.social", "social.tchncs.de", "piaille.fr"]
TWITTER_EPOCH_MS = 1288834974657


def post_url(platform: str, lang: str, handle: str, native: str) -> str:
    if platform == "x":
        return f"https://x.com/{handle}/status/{native}"
    if platform == "reddit":
        sub = SUBREDDITS[lang][stable_int(native) % len(SUBREDDITS[lang])]
        return f"https://www.reddit.com/r/{sub}/comments/{native.split('_')[1]}/"
    instance = INSTANCES[stable_int(handle) % len(INSTANCES)]
    return f"https://{instance}/@{handle}/{native}"


def native_id(platform: str, created: datetime, rng: random.Random, salt: object) -> str:
    millis = int(created.timestamp() * 1000)
    if platform == "x":  # a snowflake: time in the high bits
        return str(((millis - TWITTER_EPOCH_MS) << 22) | rng.getrandbits(22))
    if platform == "mastodon":
        return str((millis << 16) | rng.getrandbits(16))
    number = stable_int(salt, created.isoformat(), rng.random())
    base36 = ""
    for _ in range(7):
        number, digit = divmod(number, 36)
        base36 += "0123456789abcdefghijklmnopqrstuvwxyz"[digit]
    return f"t1_{base36}"  # comments are t1_; reddit_fullnames makes roots t3_


def to_record(post: Post, seed: int) -> dict[str, Any]:
    """The field values of a Mention for this post (validated by storage)."""
    record = {
        "platform": post.platform,
        "native_id": post.native_id,
        "text": post.text,
        "created_at": post.created_at,
        "author_id": post.author.native_id,
        "author_handle": post.author.handle,
        "author_name": post.author.name,
        "author_followers": post.author.followers,
        "url": post.url,
        "lang": post.lang,
        "parent_id": post.parent_id,
        "quoted_id": post.quoted_id,
        "reposted_id": post.reposted_id,
        "conversation_id": post.conversation_id,
        "likes": post.likes,
        "reposts": post.reposts if post.platform != "reddit" else None,
        "replies": post.replies,
        "quotes": post.quotes if post.platform == "x" else None,
        "score": post.likes if post.platform == "reddit" else None,
        "brand": post.brand.name,
        "query": post.brand.name,
        "raw": {
            "demo": {
                "seed": seed,
                "stage": post.stage,
                "sentiment": post.sentiment,
                "role": post.role,
            }
        },
    }
    return record


def reddit_fullnames(posts: list[Post]) -> list[Post]:
    """Reddit roots are submissions (``t3_``); comments keep ``t1_``, parents follow."""
    renamed: dict[str, str] = {}
    for post in posts:
        if post.platform == "reddit" and post.parent_id is None and post.quoted_id is None:
            renamed[post.native_id] = "t3_" + post.native_id[3:]
    result = []
    for post in posts:
        if post.platform != "reddit":
            result.append(post)
            continue
        result.append(
            replace(
                post,
                native_id=renamed.get(post.native_id, post.native_id),
                parent_id=renamed.get(post.parent_id, post.parent_id) if post.parent_id else None,
                conversation_id=renamed.get(post.conversation_id or "", post.conversation_id),
            )
        )
        if result[-1].parent_id is not None:  # a comment's link goes through its submission
            comment = result[-1]
            subreddit_url = comment.url.split("/comments/")[0]
            submission = (comment.conversation_id or "t3_")[3:]
            comment.url = f"{subreddit_url}/comments/{submission}/comment/{comment.native_id[3:]}/"
    return result
