"""Schema and forward migrations, versioned with SQLite's ``user_version``.

Each migration runs in one transaction together with the version bump, so a crash
mid-migration leaves the database at the previous version, never half-migrated.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence

import sqlite_utils

from storage.transaction import write_transaction

Migration = Callable[[sqlite_utils.Database], None]


class SchemaError(RuntimeError):
    """The database cannot be used by this version of umot."""


def run_script(db: sqlite_utils.Database, script: str) -> None:
    """Run statements one by one: ``executescript`` would commit the open transaction."""
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            db.execute(statement)
            statement = ""
    if statement.strip():
        raise SchemaError(f"incomplete SQL statement in migration: {statement.strip()[:80]}")


def _initial_schema(db: sqlite_utils.Database) -> None:
    run_script(
        db,
        """
        CREATE TABLE authors (
            id TEXT PRIMARY KEY,              -- platform:native author id (or handle)
            platform TEXT NOT NULL,
            native_id TEXT NOT NULL,
            handle TEXT,
            name TEXT,
            followers INTEGER,
            first_seen TEXT NOT NULL,
            last_seen TEXT NOT NULL
        );

        -- seq is the stable integer rowid that full-text search points at; id is the key.
        CREATE TABLE mentions (
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,          -- platform:native_id
            platform TEXT NOT NULL,
            native_id TEXT NOT NULL,
            source TEXT NOT NULL,
            brand TEXT,
            query TEXT,
            text TEXT NOT NULL,
            lang TEXT,
            author_id TEXT REFERENCES authors(id),
            created_at TEXT NOT NULL,         -- UTC, YYYY-MM-DDTHH:MM:SSZ, sorts as text
            collected_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            url TEXT,
            parent_id TEXT,                   -- keys (platform:native_id) of related posts
            quoted_id TEXT,
            reposted_id TEXT,
            conversation_id TEXT,
            likes INTEGER,
            reposts INTEGER,
            replies INTEGER,
            quotes INTEGER,
            score INTEGER,
            raw TEXT
        );
        CREATE INDEX idx_mentions_created ON mentions(created_at);
        CREATE INDEX idx_mentions_brand_created ON mentions(brand, created_at);
        CREATE INDEX idx_mentions_author ON mentions(author_id, created_at);
        CREATE INDEX idx_mentions_parent ON mentions(parent_id) WHERE parent_id IS NOT NULL;
        CREATE INDEX idx_mentions_quoted ON mentions(quoted_id) WHERE quoted_id IS NOT NULL;
        CREATE INDEX idx_mentions_reposted ON mentions(reposted_id)
            WHERE reposted_id IS NOT NULL;
        CREATE INDEX idx_mentions_conversation ON mentions(conversation_id)
            WHERE conversation_id IS NOT NULL;

        CREATE VIRTUAL TABLE mentions_fts USING fts5(
            text, content='mentions', content_rowid='seq',
            tokenize='unicode61 remove_diacritics 2'
        );
        CREATE TRIGGER mentions_fts_insert AFTER INSERT ON mentions BEGIN
            INSERT INTO mentions_fts(rowid, text) VALUES (new.seq, new.text);
        END;
        CREATE TRIGGER mentions_fts_delete AFTER DELETE ON mentions BEGIN
            INSERT INTO mentions_fts(mentions_fts, rowid, text)
                VALUES ('delete', old.seq, old.text);
        END;
        -- Only a text change touches the index: refreshing engagement counts stays cheap.
        CREATE TRIGGER mentions_fts_update AFTER UPDATE OF text ON mentions BEGIN
            INSERT INTO mentions_fts(mentions_fts, rowid, text)
                VALUES ('delete', old.seq, old.text);
            INSERT INTO mentions_fts(rowid, text) VALUES (new.seq, new.text);
        END;

        CREATE TABLE classifications (
            id INTEGER PRIMARY KEY,
            mention_id TEXT NOT NULL REFERENCES mentions(id) ON DELETE CASCADE,
            model_id TEXT NOT NULL,
            lang TEXT,
            sentiment TEXT,
            sentiment_scores TEXT,            -- JSON label -> probability
            stage TEXT,
            stage_scores TEXT,
            classified_at TEXT NOT NULL,
            UNIQUE (mention_id, model_id)
        );
        CREATE INDEX idx_classifications_model ON classifications(model_id, mention_id);

        CREATE TABLE cursors (
            source TEXT NOT NULL,
            query TEXT NOT NULL,
            value TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (source, query)
        );

        CREATE TABLE alerts (
            id INTEGER PRIMARY KEY,
            rule TEXT NOT NULL,
            brand TEXT,
            cause TEXT NOT NULL,              -- what fired it; the dedupe key with rule
            mention_id TEXT REFERENCES mentions(id) ON DELETE SET NULL,
            message TEXT NOT NULL,
            details TEXT,
            created_at TEXT NOT NULL,
            sent_at TEXT,
            UNIQUE (rule, cause)
        );
        CREATE INDEX idx_alerts_rule_brand ON alerts(rule, brand, created_at);

        CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            step TEXT NOT NULL,
            source TEXT,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            status TEXT NOT NULL,             -- running | ok | error
            fetched INTEGER NOT NULL DEFAULT 0,
            inserted INTEGER NOT NULL DEFAULT 0,
            updated INTEGER NOT NULL DEFAULT 0,
            rejected INTEGER NOT NULL DEFAULT 0,
            error TEXT
        );
        CREATE INDEX idx_runs_step_source ON runs(step, source, started_at);

        CREATE TABLE rejects (
            id INTEGER PRIMARY KEY,
            run_id INTEGER REFERENCES runs(id) ON DELETE SET NULL,
            source TEXT NOT NULL,
            platform TEXT,
            native_id TEXT,
            reason TEXT NOT NULL,
            record TEXT,
            created_at TEXT NOT NULL
        );
        CREATE INDEX idx_rejects_created ON rejects(created_at);
        """,
    )


def _alert_delivery(db: sqlite_utils.Database) -> None:
    """Per-channel delivery, so a failing channel is retried without resending the others."""
    run_script(
        db,
        """
        ALTER TABLE alerts ADD COLUMN severity TEXT NOT NULL DEFAULT 'warning';
        -- released_at: when the alert was cleared for delivery (after any cool-down)
        ALTER TABLE alerts ADD COLUMN released_at TEXT;
        CREATE INDEX idx_alerts_released ON alerts(released_at);
        CREATE INDEX idx_alerts_created ON alerts(created_at);

        CREATE TABLE alert_deliveries (
            id INTEGER PRIMARY KEY,
            alert_id INTEGER NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
            channel TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            delivered_at TEXT,
            last_attempt_at TEXT,
            last_error TEXT,
            UNIQUE (alert_id, channel)
        );
        CREATE INDEX idx_runs_step_started ON runs(step, started_at);
        """,
    )


def _bulk_text_index(db: sqlite_utils.Database) -> None:
    """Full-text indexing in bulk after each stored batch instead of a trigger per row.

    Indexing row by row in a trigger halved ingest speed. ``fts_state.last_seq`` marks how
    far the index reaches; the delete/update triggers only touch rows it already holds,
    since telling FTS5 to delete a row it never indexed would corrupt it.
    """
    run_script(
        db,
        """
        DROP TRIGGER mentions_fts_insert;
        DROP TRIGGER mentions_fts_delete;
        DROP TRIGGER mentions_fts_update;
        CREATE TABLE fts_state (id INTEGER PRIMARY KEY CHECK (id = 1), last_seq INTEGER NOT NULL);
        INSERT INTO fts_state (id, last_seq) SELECT 1, coalesce(max(seq), 0) FROM mentions;
        CREATE TRIGGER mentions_fts_delete AFTER DELETE ON mentions
        WHEN old.seq <= (SELECT last_seq FROM fts_state) BEGIN
            INSERT INTO mentions_fts(mentions_fts, rowid, text)
                VALUES ('delete', old.seq, old.text);
        END;
        CREATE TRIGGER mentions_fts_update AFTER UPDATE OF text ON mentions
        WHEN old.seq <= (SELECT last_seq FROM fts_state) BEGIN
            INSERT INTO mentions_fts(mentions_fts, rowid, text)
                VALUES ('delete', old.seq, old.text);
            INSERT INTO mentions_fts(rowid, text) VALUES (new.seq, new.text);
        END;
        -- which process a run belongs to: a run left 'running' by a killed process is
        -- recognised and marked aborted by the next one
        ALTER TABLE runs ADD COLUMN pid INTEGER;
        """,
    )


def _deleted_posts_and_repost_engagement(db: sqlite_utils.Database) -> None:
    """Repairs what earlier versions stored from real payloads.

    - Reddit's "[deleted]"/"[removed]" comments were stored and classified as mentions;
      they are now flagged, and their classifications dropped, so nothing counts them.
    - X gives a retweet the original's ``retweet_count``; a retweet has no engagement of
      its own, so what was stored for it is cleared.
    - X text was stored HTML-escaped, and a retweet's as the cut-off "RT @name: …": both
      become the real text (the original's, for a retweet whose original is stored), and
      lose their labels so that they are classified again.
    - Legacy language codes (X's "in" for Indonesian) become current ones.
    """
    escaped = "platform = 'x' AND (text LIKE '%&amp;%' OR text LIKE '%&lt;%' OR text LIKE '%&gt;%')"
    cut_retweet = (
        "platform = 'x' AND reposted_id IS NOT NULL AND text LIKE 'RT @%' "
        "AND EXISTS (SELECT 1 FROM mentions o WHERE o.id = mentions.reposted_id)"
    )
    legacy = "CASE lang WHEN 'in' THEN 'id' WHEN 'iw' THEN 'he' WHEN 'ji' THEN 'yi' ELSE 'jv' END"
    run_script(
        db,
        f"""
        ALTER TABLE mentions ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;
        UPDATE mentions SET deleted = 1
        WHERE platform = 'reddit' AND parent_id IS NOT NULL
          AND trim(text) IN ('[deleted]', '[removed]', '[ Removed by Reddit ]');
        DELETE FROM classifications
        WHERE mention_id IN (SELECT id FROM mentions WHERE deleted = 1);
        UPDATE mentions SET likes = 0, reposts = 0, replies = 0, quotes = 0
        WHERE platform = 'x' AND reposted_id IS NOT NULL;
        DELETE FROM classifications
        WHERE mention_id IN (SELECT id FROM mentions WHERE {escaped} OR {cut_retweet});
        UPDATE mentions
        SET text = replace(replace(replace(text, '&lt;', '<'), '&gt;', '>'), '&amp;', '&')
        WHERE {escaped};
        UPDATE mentions SET text = (SELECT o.text FROM mentions o WHERE o.id = mentions.reposted_id)
        WHERE {cut_retweet};
        UPDATE mentions SET lang = {legacy} WHERE lang IN ('in', 'iw', 'ji', 'jw');
        UPDATE classifications SET lang = {legacy} WHERE lang IN ('in', 'iw', 'ji', 'jw');
        """,
    )


def _workspace(db: sqlite_utils.Database) -> None:
    """The workspace: users and sessions, triage, tags, history, human labels, alert handling.

    ``effective_labels`` is a model's classifications with a person's correction on top;
    every count, report and rule reads labels through it (an outer join writes the two
    joins out instead: SQLite would materialize the whole view on the right of a LEFT
    JOIN). Human labels are not tied to a model, so they survive a model change.
    """
    run_script(
        db,
        """
        CREATE TABLE users (
            name TEXT PRIMARY KEY,
            password_hash TEXT NOT NULL,      -- argon2; the password itself is never stored
            role TEXT NOT NULL CHECK (role IN ('admin', 'editor', 'viewer')),
            created_at TEXT NOT NULL,
            last_login_at TEXT
        );
        CREATE TABLE sessions (
            token_hash TEXT PRIMARY KEY,      -- sha256 of the cookie's token
            user_name TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
            csrf_token TEXT NOT NULL,
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL
        );
        CREATE TABLE triage (
            mention_id TEXT PRIMARY KEY REFERENCES mentions(id) ON DELETE CASCADE,
            status TEXT NOT NULL DEFAULT 'open',  -- open | pending | handled | ignored
            assignee TEXT,
            priority TEXT,
            note TEXT,
            updated_at TEXT NOT NULL,
            updated_by TEXT
        );
        CREATE INDEX idx_triage_status ON triage(status);
        CREATE INDEX idx_triage_assignee ON triage(assignee) WHERE assignee IS NOT NULL;
        CREATE TABLE mention_tags (
            mention_id TEXT NOT NULL REFERENCES mentions(id) ON DELETE CASCADE,
            tag TEXT NOT NULL,
            PRIMARY KEY (mention_id, tag)
        );
        CREATE INDEX idx_mention_tags_tag ON mention_tags(tag, mention_id);
        CREATE TABLE mention_history (
            id INTEGER PRIMARY KEY,
            mention_id TEXT NOT NULL,
            user_name TEXT NOT NULL,
            at TEXT NOT NULL,
            field TEXT NOT NULL,  -- status, assignee, priority, note, tag, sentiment, stage
            old_value TEXT,
            new_value TEXT
        );
        CREATE INDEX idx_mention_history ON mention_history(mention_id, id);
        CREATE TABLE human_labels (
            mention_id TEXT PRIMARY KEY REFERENCES mentions(id) ON DELETE CASCADE,
            sentiment TEXT,
            stage TEXT,
            labeled_by TEXT NOT NULL,
            labeled_at TEXT NOT NULL,
            model_id TEXT,                    -- the model shown when the person corrected it
            model_sentiment TEXT,
            model_stage TEXT
        );
        CREATE VIEW effective_labels AS
            SELECT c.id, c.mention_id, c.model_id, c.lang,
                   coalesce(h.sentiment, c.sentiment) AS sentiment,
                   coalesce(h.stage, c.stage) AS stage,
                   c.sentiment AS model_sentiment, c.stage AS model_stage,
                   h.sentiment AS human_sentiment, h.stage AS human_stage,
                   c.sentiment_scores, c.stage_scores, c.classified_at
            FROM classifications c LEFT JOIN human_labels h ON h.mention_id = c.mention_id;
        ALTER TABLE alerts ADD COLUMN status TEXT NOT NULL DEFAULT 'new';
        ALTER TABLE alerts ADD COLUMN handled_by TEXT;
        ALTER TABLE alerts ADD COLUMN handled_at TEXT;
        ALTER TABLE alerts ADD COLUMN handled_note TEXT;
        """,
    )


def _review_margin(db: sqlite_utils.Database) -> None:
    """How sure the model was of each label (the smaller top-two margin of the two tasks),
    indexed per model so the review queue reads the least sure first without a sort."""
    import json

    from storage.writes import certainty

    db.execute("ALTER TABLE classifications ADD COLUMN margin REAL")
    last = 0
    while True:
        rows = db.execute(
            "SELECT id, sentiment_scores, stage_scores FROM classifications WHERE id > ? "
            "ORDER BY id LIMIT 5000",
            [last],
        ).fetchall()
        if not rows:
            break
        db.conn.executemany(
            "UPDATE classifications SET margin = ? WHERE id = ?",
            [(certainty(json.loads(s or "{}"), json.loads(t or "{}")), key) for key, s, t in rows],
        )
        last = rows[-1][0]
    db.execute("CREATE INDEX idx_classifications_margin ON classifications(model_id, margin)")


MIGRATIONS: tuple[Migration, ...] = (
    _initial_schema,
    _alert_delivery,
    _bulk_text_index,
    _deleted_posts_and_repost_engagement,
    _workspace,
    _review_margin,
)
SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(db: sqlite_utils.Database) -> int:
    return db.execute("PRAGMA user_version").fetchone()[0]


def migrate(db: sqlite_utils.Database, migrations: Sequence[Migration] = MIGRATIONS) -> int:
    """Bring the database to the newest schema; return how many migrations ran."""
    current = schema_version(db)
    if current > len(migrations):
        raise SchemaError(
            f"the database has schema version {current}, but this umot knows only up to "
            f"{len(migrations)}; upgrade umot (pip install -U umot) or use another database"
        )
    ran = 0
    for version, migration in enumerate(migrations[current:], start=current + 1):
        with write_transaction(db):
            # Another process (`umot serve` beside `umot run`) may have migrated meanwhile.
            if schema_version(db) >= version:
                continue
            migration(db)
            db.execute(f"PRAGMA user_version = {version:d}")
            ran += 1
    return ran
