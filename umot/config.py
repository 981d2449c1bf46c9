"""Loading and validating ``config.toml``.

Every setting has a default equal to the repository's ``config.toml``, so umot runs the
demo with no file at all; a file only needs the keys it changes. Unknown keys are
errors (a typo must not silently fall back to a default), and every error names the
key, e.g. ``sources.demo.mentions_per_day: Input should be greater than 0``.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, model_validator

from umot.config_base import (
    CONFIG_ENV,
    DEFAULT_STAGES,
    ConfigError,
    EnvName,
    HttpUrl,
    SafePath,
    Section,
)
from umot.source_config import (
    SOURCE_TYPES,
    BlueskySource,
    DemoSource,
    FeedConfig,
    HackerNewsSource,
    MastodonSource,
    NetworkSource,
    RedditSource,
    RssSource,
    SourceBase,
    SourceConfig,
    XSource,
    YouTubeChannel,
    YouTubeChannelId,
    YouTubeSource,
    default_sources,
)

__all__ = [
    "CONFIG_ENV",
    "DEFAULT_STAGES",
    "SOURCE_TYPES",
    "BlueskySource",
    "ConfigError",
    "DemoSource",
    "EnvName",
    "FeedConfig",
    "HackerNewsSource",
    "HttpUrl",
    "MastodonSource",
    "NetworkSource",
    "RedditSource",
    "RssSource",
    "SafePath",
    "Section",
    "SourceBase",
    "SourceConfig",
    "XSource",
    "YouTubeChannel",
    "YouTubeChannelId",
    "YouTubeSource",
]


class DatabaseConfig(Section):
    path: SafePath = "umot.db"


class BrandConfig(Section):
    name: Annotated[str, Field(min_length=1)]
    queries: list[Annotated[str, Field(min_length=1)]] = Field(min_length=1)
    own_handles: list[str] = []


class TaskModelConfig(Section):
    """A Hugging Face model that replaces umot's own head for one task."""

    name: Annotated[str, Field(min_length=1)]
    kind: Literal["sequence-classification", "zero-shot"] = "sequence-classification"
    labels: dict[str, str] = {}
    hypotheses: dict[str, str] = {}

    @model_validator(mode="after")
    def _labels_for_classifiers(self) -> TaskModelConfig:
        if self.kind == "sequence-classification" and not self.labels:
            raise ValueError(
                "labels must map the model's labels onto umot's, e.g. "
                '{ LABEL_0 = "negative", LABEL_1 = "neutral", LABEL_2 = "positive" }'
            )
        return self


class ModelConfig(Section):
    heads: SafePath = "bundled"
    device: Literal["auto", "cpu", "cuda", "mps"] = "auto"
    # int8: the encoder's attention and FFN-up layers in int8 on CPU, with heads fitted on
    # int8 features (see nlp/int8.py); a GPU always runs fp16/bf16.
    backend: Literal["torch", "int8"] = "int8"
    batch_size: int = Field(default=32, ge=1, le=4096)
    max_length: int = Field(default=128, ge=8, le=8192)
    cache_dir: SafePath = "~/.cache/umot"
    sentiment: TaskModelConfig | None = None
    stage: TaskModelConfig | None = None


class JourneyConfig(Section):
    stages: list[str] = Field(default=list(DEFAULT_STAGES), min_length=2)
    prospect_stages: list[str] = ["awareness", "consideration"]
    umot_stages: list[str] = ["experience", "advocacy"]

    @model_validator(mode="after")
    def _known_stages(self) -> JourneyConfig:
        for name in ("prospect_stages", "umot_stages"):
            unknown = set(getattr(self, name)) - set(self.stages)
            if unknown:
                raise ValueError(f"{name} names stages not in stages: {sorted(unknown)}")
        return self


class ScheduleConfig(Section):
    every_minutes: int = Field(default=15, ge=1)
    report_weekday: Literal[
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"
    ] = "monday"
    report_hour: int = Field(default=8, ge=0, le=23)
    # Mentions `umot run` classifies per cycle, newest first (about 3 minutes on 2 cores);
    # a bigger backlog (a new model) is worked through over the next cycles.
    classify_per_cycle: int = Field(default=20_000, ge=1)


class ChannelConfig(Section):
    """Where alerts go. URLs and passwords come from the environment variables named here."""

    type: Literal["console", "slack", "webhook", "email"]
    enabled: bool = True
    url_env: EnvName | None = None  # slack / webhook: the variable holding the URL
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_tls: Literal["starttls", "ssl", "none"] = "starttls"
    smtp_user_env: EnvName | None = None
    smtp_password_env: EnvName | None = None
    mail_from: str | None = None
    mail_to: list[Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$")]] = []
    timeout_seconds: float = Field(default=15.0, gt=0)

    @model_validator(mode="after")
    def _complete(self) -> ChannelConfig:
        if self.type in ("slack", "webhook") and not self.url_env:
            raise ValueError(f"a {self.type} channel needs url_env (the variable holding its URL)")
        if self.type == "email" and not (self.smtp_host and self.mail_from and self.mail_to):
            raise ValueError("an email channel needs smtp_host, mail_from and mail_to")
        return self


class RuleConfig(Section):
    """Shared by every alert rule: a switch, and per-brand overrides of any setting."""

    enabled: bool = True
    brands: dict[str, dict[str, Any]] = {}

    def for_brand(self, brand: str | None) -> Any:
        """This rule's settings for one brand: the overrides validated like the rest."""
        override = self.brands.get(brand or "", {})
        if not override:
            return self
        merged = {**self.model_dump(exclude={"brands"}), **override}
        return type(self).model_validate(merged)


class NegativeReachRule(RuleConfig):
    """A negative experience/advocacy post by someone with reach, or drawing engagement."""

    min_followers: int = Field(default=5_000, ge=0)
    min_engagement: int = Field(default=50, ge=0)  # likes + reposts + replies + quotes + score
    lookback_hours: int = Field(default=72, ge=1)


class ExposureRule(RuleConfig):
    """A negative UMOT post that prospects (awareness/consideration) reply to or quote."""

    min_prospects: int = Field(default=1, ge=1)
    lookback_hours: int = Field(default=168, ge=1)


class SpikeRule(RuleConfig):
    """Volume or negative share in the last window against the windows before it.

    Fires when the robust z-score (value - median) / (1.4826 * MAD) of the last window
    against the previous ``baseline_windows`` reaches ``min_z``, with floors that keep
    quiet brands quiet: at least ``min_mentions`` mentions (and ``min_negative`` negative
    ones for the share), and a scale of at least sqrt(median) for counts and 0.05 for
    shares, so a flat baseline does not turn one extra post into a spike.
    """

    window_hours: int = Field(default=6, ge=1, le=168)
    baseline_windows: int = Field(default=28, ge=4, le=1000)
    min_z: float = Field(default=4.0, gt=0)
    min_mentions: int = Field(default=10, ge=1)
    min_negative: int = Field(default=5, ge=1)


class SourceHealthRule(RuleConfig):
    """A source that failed several runs in a row, or found nothing for too long."""

    max_failed_runs: int = Field(default=3, ge=1)
    silent_hours: int = Field(default=24, ge=1)


class AlertRulesConfig(Section):
    negative_reach: NegativeReachRule = NegativeReachRule()
    negative_umot_exposure: ExposureRule = ExposureRule()
    spike: SpikeRule = SpikeRule()
    source_health: SourceHealthRule = SourceHealthRule()


class AlertsConfig(Section):
    enabled: bool = True
    cooldown_minutes: int = Field(default=60, ge=0)  # per rule and brand
    digest_threshold: int = Field(default=3, ge=1)  # more at once than this: one digest
    max_delivery_attempts: int = Field(default=12, ge=1)
    rules: AlertRulesConfig = AlertRulesConfig()
    channels: dict[str, ChannelConfig] = {"console": ChannelConfig(type="console")}


class ReportConfig(Section):
    out_dir: SafePath = "weekly-reports"
    formats: list[Literal["html", "md"]] = ["html", "md"]
    timezone: str = "Europe/Amsterdam"
    top_n: int = Field(default=10, ge=1, le=1000)


def _default_brands() -> list[BrandConfig]:
    return [
        BrandConfig(name="Velora", queries=["Velora", "#velora"], own_handles=["VeloraCare"]),
        BrandConfig(
            name="Polderstroom",
            queries=["Polderstroom", "#polderstroom"],
            own_handles=["PolderstroomNL"],
        ),
        BrandConfig(
            name="Smaakdoos", queries=["Smaakdoos", "#smaakdoos"], own_handles=["SmaakdoosHelpt"]
        ),
    ]


class ServeConfig(Section):
    """Where `umot serve` listens; anything but loopback belongs behind a TLS proxy."""

    host: Annotated[str, Field(min_length=1)] = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    poll_seconds: float = Field(default=15, ge=0.5, le=3600)  # new mentions in the inbox


class Config(Section):
    database: DatabaseConfig = DatabaseConfig()
    brands: list[BrandConfig] = Field(default_factory=_default_brands, min_length=1)
    sources: dict[str, SourceConfig] = Field(default_factory=default_sources)
    model: ModelConfig = ModelConfig()
    journey: JourneyConfig = JourneyConfig()
    schedule: ScheduleConfig = ScheduleConfig()
    alerts: AlertsConfig = AlertsConfig()
    report: ReportConfig = ReportConfig()
    serve: ServeConfig = ServeConfig()
    # Where relative paths (database, reports) are resolved: the config file's folder.
    base_dir: Path = Field(default_factory=Path.cwd, exclude=True)

    @model_validator(mode="before")
    @classmethod
    def _source_type_defaults_to_name(cls, data: Any) -> Any:
        """``[sources.reddit]`` needs no ``type = "reddit"`` line."""
        if isinstance(data, dict) and isinstance(data.get("sources"), dict):
            sources = {}
            for name, settings in data["sources"].items():
                if isinstance(settings, dict) and "type" not in settings:
                    settings = {**settings, "type": name}
                sources[name] = settings
            data = {**data, "sources": sources}
        return data

    @model_validator(mode="after")
    def _unique_brands(self) -> Config:
        names = [brand.name.casefold() for brand in self.brands]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"brands: names must be unique, repeated: {duplicates}")
        return self

    def resolve(self, path: str) -> Path:
        return (self.base_dir / Path(path).expanduser()).resolve()

    @property
    def database_path(self) -> Path:
        return self.resolve(self.database.path)

    @property
    def own_handles(self) -> frozenset[str]:
        """The brands' own accounts, lower-cased without '@': never customers, never prospects."""
        return frozenset(h.lower().lstrip("@") for b in self.brands for h in b.own_handles)

    def enabled_sources(self) -> dict[str, Any]:
        return {name: source for name, source in self.sources.items() if source.enabled}


def _describe(error: ValidationError) -> str:
    lines = []
    for problem in error.errors(include_url=False):
        loc = list(problem["loc"])
        if len(loc) > 3 and loc[0] == "sources" and loc[2] in SOURCE_TYPES:
            del loc[2]  # pydantic adds the union member's tag; users never wrote it
        location = ".".join(str(part) for part in loc) or "(top level)"
        message = problem["msg"].removeprefix("Value error, ")
        if problem["type"] == "extra_forbidden":
            message = "unknown setting (check the spelling; see config.toml for all keys)"
        elif problem["type"] == "union_tag_invalid":
            message = (
                f"unknown source type {problem['input'].get('type')!r}; "
                f"use one of {', '.join(SOURCE_TYPES)}"
            )
        lines.append(f"  {location}: {message}")
    return "\n".join(lines)


def parse_config(data: dict[str, Any], *, base_dir: Path, origin: str) -> Config:
    try:
        return Config.model_validate({**data, "base_dir": base_dir})
    except ValidationError as error:
        raise ConfigError(f"{origin} has invalid settings:\n{_describe(error)}") from None


def load_config(path: str | Path | None = None) -> Config:
    """Read the config named by ``path``, ``$UMOT_CONFIG`` or ``./config.toml``.

    With none of them present the built-in defaults (the demo) are used.
    """
    explicit = path if path is not None else os.environ.get(CONFIG_ENV) or None
    candidate = Path(explicit) if explicit else Path("config.toml")
    if not candidate.exists():
        if explicit:
            raise ConfigError(f"config file {candidate} does not exist")
        return Config()
    if candidate.is_dir():
        raise ConfigError(f"config path {candidate} is a folder, not a TOML file")
    try:
        data = tomllib.loads(candidate.read_text(encoding="utf-8"))
    except UnicodeDecodeError as error:
        raise ConfigError(f"{candidate} is not UTF-8 text: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{candidate} is not valid TOML: {error}") from None
    return parse_config(data, base_dir=candidate.resolve().parent, origin=str(candidate))
