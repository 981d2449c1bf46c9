"""What every configuration section shares: strictness, and the value types they check."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_STAGES = ("awareness", "consideration", "purchase", "experience", "advocacy", "none")
CONFIG_ENV = "UMOT_CONFIG"
EnvName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
# Paths from config: no control characters (a NUL or newline in a path is never meant).
SafePath = Annotated[str, Field(min_length=1, pattern=r"^[^\x00-\x1f\x7f]+$")]
HttpUrl = Annotated[str, Field(pattern=r"^https?://[^\s/]+(/[^\s]*)?$")]


class ConfigError(ValueError):
    """The configuration cannot be used; the message names the file and the key."""


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
