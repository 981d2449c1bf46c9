"""The ``[sources.*]`` settings: one class per platform, told apart by ``type``."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field

from umot.config_base import EnvName, HttpUrl, Section


class SourceBase(Section):
    enabled: bool = False
    # A streaming source listens all the time in `umot run` (its own thread), not per cycle.
    streaming: ClassVar[bool] = False


class DemoSource(SourceBase):
    type: Literal["demo"] = "demo"
    enabled: bool = True
    seed: int = 7
    weeks: int = Field(default=6, ge=1, le=104)
    mentions_per_day: int = Field(default=70, ge=1, le=100_000)


class NetworkSource(SourceBase):
    """What every platform source shares: timeouts, waits and thread following."""

    timeout_seconds: float = Field(default=30.0, gt=0)
    max_wait_seconds: float = Field(default=960.0, ge=1)
    # Replies to recent UMOT posts (experience/advocacy) are fetched for this many days.
    follow_umot_days: int = Field(default=7, ge=0)
    max_followed_threads: int = Field(default=50, ge=0)

    def credential_envs(self) -> list[tuple[str, bool]]:
        """(environment variable, required) pairs, for `umot sources`."""
        return []


class XSource(NetworkSource):
    type: Literal["x"] = "x"
    bearer_token_env: EnvName = "UMOT_X_BEARER_TOKEN"
    max_results_per_query: int = Field(default=500, ge=10)
    max_results_per_conversation: int = Field(default=200, ge=10)
    include_retweets: bool = True
    fetch_conversations: bool = True
    base_url: HttpUrl = "https://api.twitter.com"
    # X bills every post read (pay-per-use); the source stops for the day at this many
    # (0: no cap). The price is only for `umot sources`' estimate of the month's spend.
    max_posts_per_day: int = Field(default=1000, ge=0)
    price_per_post: float = Field(default=0.005, ge=0)

    def credential_envs(self) -> list[tuple[str, bool]]:
        return [(self.bearer_token_env, True)]


class RedditSource(NetworkSource):
    type: Literal["reddit"] = "reddit"
    client_id_env: EnvName = "UMOT_REDDIT_CLIENT_ID"
    client_secret_env: EnvName = "UMOT_REDDIT_CLIENT_SECRET"
    user_agent: Annotated[str, Field(min_length=3)] = "umot social listening (by u/your_username)"
    subreddits: list[Annotated[str, Field(pattern=r"^[A-Za-z0-9_]{2,21}$")]] = ["all"]
    limit_per_query: int = Field(default=250, ge=1, le=1000)
    thread_days: float = Field(default=3.0, ge=0)
    max_threads: int = Field(default=25, ge=0)
    more_comments: int = Field(default=8, ge=0)
    subreddit_comments: int = Field(default=500, ge=0, le=1000)
    reddit_url: HttpUrl = "https://www.reddit.com"
    oauth_url: HttpUrl = "https://oauth.reddit.com"

    def credential_envs(self) -> list[tuple[str, bool]]:
        return [(self.client_id_env, True), (self.client_secret_env, True)]


class MastodonSource(NetworkSource):
    type: Literal["mastodon"] = "mastodon"
    instances: list[HttpUrl] = Field(default=["https://mastodon.social"], min_length=1)
    # Empty: the brands' #hashtag terms and each brand name as a tag.
    hashtags: list[Annotated[str, Field(pattern=r"^#?\w+$")]] = []
    access_token_env: EnvName = "UMOT_MASTODON_TOKEN"
    max_pages: int = Field(default=10, ge=1)

    def credential_envs(self) -> list[tuple[str, bool]]:
        return [(self.access_token_env, False)]


class FeedConfig(Section):
    url: HttpUrl
    brand: str | None = None  # set when every entry is about this brand (a review feed)


class RssSource(NetworkSource):
    type: Literal["rss"] = "rss"
    feeds: list[HttpUrl | FeedConfig] = []


YouTubeChannelId = Annotated[str, Field(pattern=r"^UC[\w-]{22}$")]


class YouTubeChannel(Section):
    id: YouTubeChannelId
    brand: str | None = None  # set when the channel is the brand's own: keep every comment


class YouTubeSource(NetworkSource):
    """YouTube Data API v3 with an API key; budgets are per Pacific Time day."""

    type: Literal["youtube"] = "youtube"
    api_key_env: EnvName = "UMOT_YOUTUBE_API_KEY"
    channels: list[YouTubeChannelId | YouTubeChannel] = []
    daily_quota_units: int = Field(default=10_000, ge=1)  # all calls but search.list
    daily_search_calls: int = Field(default=100, ge=0)  # search.list's own allowance
    search_units: int = Field(default=0, ge=0)  # 100 where a project pays searches in units
    search_pages: int = Field(default=1, ge=1, le=10)  # 50 videos a page
    video_days: float = Field(default=7.0, gt=0)  # how long a found video's comments are read
    max_videos: int = Field(default=30, ge=0)
    comment_pages: int = Field(default=3, ge=1)  # 100 threads a page, per video and run
    reply_pages: int = Field(default=1, ge=0)  # 100 replies a page, per new thread
    max_followed_threads: int = Field(default=20, ge=0)
    base_url: HttpUrl = "https://www.googleapis.com/youtube/v3"

    def credential_envs(self) -> list[tuple[str, bool]]:
        return [(self.api_key_env, True)]


class HackerNewsSource(NetworkSource):
    """Stories and comments through the Algolia HN Search API; no key."""

    type: Literal["hackernews"] = "hackernews"
    base_url: HttpUrl = "https://hn.algolia.com/api/v1"
    # Hits handled per brand term and run; a bigger backlog continues next run.
    max_hits_per_query: int = Field(default=1000, ge=1)
    hits_per_page: int = Field(default=100, ge=1, le=1000)
    lookback_days: float = Field(default=7.0, gt=0)  # how far the first run looks back


class BlueskySource(NetworkSource):
    """Bluesky, live from a public Jetstream (no login), matched on our side."""

    type: Literal["bluesky"] = "bluesky"
    streaming: ClassVar[bool] = True
    endpoints: list[Annotated[str, Field(pattern=r"^wss?://\S+$")]] = Field(
        default=[
            "wss://jetstream1.us-east.bsky.network",
            "wss://jetstream2.us-east.bsky.network",
            "wss://jetstream1.us-west.bsky.network",
            "wss://jetstream2.us-west.bsky.network",
        ],
        min_length=1,
    )
    appview_url: HttpUrl = "https://public.api.bsky.app"
    # How long `umot collect` and `umot run --once` listen; `umot run` listens always.
    collect_seconds: float = Field(default=60.0, gt=0)
    segment_minutes: float = Field(default=10.0, gt=0)  # one `runs` row per segment
    rewind_seconds: float = Field(default=5.0, ge=0)
    idle_seconds: float = Field(default=30.0, gt=0)
    # With an account (an app password): search fills a gap longer than this, and a
    # first start searches back this far.
    handle_env: EnvName = "UMOT_BLUESKY_HANDLE"
    app_password_env: EnvName = "UMOT_BLUESKY_APP_PASSWORD"
    service_url: HttpUrl = "https://bsky.social"
    backfill_after_minutes: float = Field(default=30.0, ge=0)
    backfill_hours: float = Field(default=24.0, gt=0)

    def credential_envs(self) -> list[tuple[str, bool]]:
        return [(self.handle_env, False), (self.app_password_env, False)]


SOURCE_TYPES = ("demo", "x", "reddit", "mastodon", "rss", "bluesky", "hackernews", "youtube")
SourceConfig = Annotated[
    DemoSource
    | XSource
    | RedditSource
    | MastodonSource
    | RssSource
    | BlueskySource
    | HackerNewsSource
    | YouTubeSource,
    Field(discriminator="type"),
]


def default_sources() -> dict[str, Any]:
    return {
        "demo": DemoSource(),
        "x": XSource(),
        "reddit": RedditSource(),
        "mastodon": MastodonSource(),
        "rss": RssSource(),
        "bluesky": BlueskySource(),
        "youtube": YouTubeSource(),
        "hackernews": HackerNewsSource(),
    }
