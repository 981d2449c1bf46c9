from __future__ import annotations

from pathlib import Path

import pytest

from umot.config import Config, ConfigError, DemoSource, XSource, load_config

REPO = Path(__file__).resolve().parents[1]


def write(tmp_path, text):
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_repository_config_equals_the_built_in_defaults():
    from_file = load_config(REPO / "config.toml")
    assert from_file.model_dump(exclude={"base_dir"}) == Config().model_dump(exclude={"base_dir"})


def test_no_file_means_defaults_run_the_demo(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("UMOT_CONFIG", raising=False)
    config = load_config()
    assert list(config.enabled_sources()) == ["demo"]
    assert config.database_path == tmp_path / "umot.db"


def test_partial_file_overrides_only_what_it_names(tmp_path):
    config = load_config(
        write(tmp_path, '[database]\npath = "data/listen.db"\n[sources.demo]\nseed = 3\n')
    )
    assert config.database_path == tmp_path / "data" / "listen.db"
    assert isinstance(config.sources["demo"], DemoSource)
    assert config.sources["demo"].seed == 3 and config.sources["demo"].enabled


def test_source_type_defaults_to_its_table_name(tmp_path):
    config = load_config(
        write(tmp_path, '[sources.x]\nenabled = true\n[sources.second_x]\ntype = "x"\n')
    )
    assert isinstance(config.sources["x"], XSource) and config.sources["x"].enabled
    assert isinstance(config.sources["second_x"], XSource)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[databse]\npath = 'x'\n", "databse: unknown setting"),
        ("[sources.demo]\nseed = 'abc'\n", "sources.demo.seed: Input should be a valid integer"),
        ("[sources.demo]\nmentions_per_day = 0\n", "sources.demo.mentions_per_day"),
        ("[sources.tiktok]\nenabled = true\n", "unknown source type 'tiktok'"),
        ("[model]\ndevice = 'tpu'\n", "model.device"),
        ("[journey]\nprospect_stages = ['lurking']\n", "names stages not in stages"),
        ("[sources.x]\nbearer_token_env = 'my secret token!'\n", "sources.x.bearer_token_env"),
        (
            "[[brands]]\nname = 'A'\nqueries = ['a']\n[[brands]]\nname = 'a'\nqueries = ['b']\n",
            "names must be unique",
        ),
        ("[[brands]]\nname = 'A'\nqueries = []\n", "brands.0.queries"),
    ],
)
def test_bad_settings_are_named_in_the_error(tmp_path, text, expected):
    with pytest.raises(ConfigError) as error:
        load_config(write(tmp_path, text))
    assert expected in str(error.value)
    assert "config.toml" in str(error.value)


def test_unreadable_files_give_clear_errors(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "missing.toml")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, "[database\npath = 1"))
    bad = tmp_path / "latin1.toml"
    bad.write_bytes(b"# caf\xe9\n")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(bad)
