"""The store's schema, as named migrations.

Each migration runs in one transaction together with the row that records it
(``_sqlite_migrations``), and ``PRAGMA user_version`` counts the applied ones.
Never edit a migration that has shipped: add a new one. ``tests/fixtures/``
keeps a store made by each schema version, and a test upgrades it.

Plaintext columns are only what sync needs: ids, kinds, form ids and versions,
HLC clocks (field name -> stamp), sequence numbers and deleted flags. Every
field value lives in a sealed ``body``.
"""
from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("fieldbook.store")


def _run(db: Database, *statements: str) -> None:
    # One statement at a time: executescript() would commit the migration's transaction.
    for sql in statements:
        db.execute(sql)


@migrations(name="0001_initial")
def _initial(db: Database) -> None:
    _run(
        db,
        """CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)""",
        """CREATE TABLE records (
            id TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            form_id TEXT,
            form_version TEXT,
            clocks TEXT NOT NULL,          -- JSON {field: "hlc@device"}
            updated TEXT NOT NULL,         -- newest stamp on the record
            deleted INTEGER NOT NULL DEFAULT 0,
            body BLOB NOT NULL             -- sealed JSON {field: value}
        )""",
        """CREATE INDEX records_kind ON records (kind, deleted)""",
        """CREATE TABLE changes (
            device_id TEXT NOT NULL,
            seq INTEGER NOT NULL,
            record_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            form_id TEXT,
            form_version TEXT,
            hlc TEXT NOT NULL,
            deleted INTEGER NOT NULL DEFAULT 0,
            acked INTEGER NOT NULL DEFAULT 0,
            body BLOB NOT NULL,            -- sealed JSON of the changed fields only
            PRIMARY KEY (device_id, seq)
        )""",
        """CREATE TABLE blind_index (
            token BLOB NOT NULL,           -- truncated HMAC of kind, field, normalised value
            record_id TEXT NOT NULL,
            PRIMARY KEY (token, record_id)
        ) WITHOUT ROWID""",
        """CREATE INDEX blind_index_record ON blind_index (record_id)""",
        """CREATE TABLE audit (
            seq INTEGER PRIMARY KEY,
            hlc TEXT NOT NULL,
            user_id TEXT NOT NULL,
            action TEXT NOT NULL,
            record_id TEXT,
            detail BLOB,                   -- sealed, optional
            mac BLOB NOT NULL              -- HMAC chain link
        )""",
        """CREATE INDEX audit_record ON audit (record_id)""",
    )


@migrations(name="0002_declared_blind_indexes")
def _declared_blind_indexes(db: Database) -> None:
    # Version 1 indexed a fixed list of field names. From version 2 the list is
    # data, so an officer can declare more fields; the old list is the default.
    _run(
        db,
        """CREATE TABLE index_fields (
            kind TEXT NOT NULL,            -- '*' applies to every kind
            field TEXT NOT NULL,
            normaliser TEXT NOT NULL CHECK (normaliser IN ('text', 'id', 'phone')),
            PRIMARY KEY (kind, field)
        )""",
        """CREATE INDEX changes_pending ON changes (acked, device_id, seq)""",
    )
    for field, normaliser in DEFAULT_INDEX_FIELDS_V2:
        db.execute("INSERT INTO index_fields VALUES ('*', ?, ?)", [field, normaliser])


@migrations(name="0003_streaming_scans")
def _streaming_scans(db: Database) -> None:
    # list_records reads a kind in id order: with (kind, deleted, id) SQLite streams
    # rows instead of sorting every body in memory. Deletes now remove blind-index
    # rows by (token, record id), so the per-record index on blind_index is dead weight.
    _run(
        db,
        """CREATE INDEX records_kind_id ON records (kind, deleted, id)""",
        """DROP INDEX records_kind""",
        """DROP INDEX blind_index_record""",
    )


@migrations(name="0004_sync_state")
def _sync_state(db: Database) -> None:
    # What sync needs on the laptop (docs/sync.md). The plaintext here is ids,
    # stamps and counters; conflict values are sealed like record bodies.
    _run(
        db,
        # The stamps each change overwrote, {field: "hlc@device"}: a replica that
        # applies the change can tell a causal overwrite from a concurrent one.
        """ALTER TABLE changes ADD COLUMN bases TEXT""",
        """CREATE TABLE peers (
            device_id TEXT PRIMARY KEY,    -- an origin device whose changes were applied here
            seq INTEGER NOT NULL           -- the highest of its sequence numbers applied
        )""",
        """CREATE TABLE conflicts (
            id INTEGER PRIMARY KEY,
            record_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            field TEXT NOT NULL,
            stamp TEXT NOT NULL,           -- the losing value's stamp
            winner TEXT NOT NULL,          -- the stamp that won (or the delete's)
            found TEXT NOT NULL,           -- local HLC when the conflict was seen
            resolution TEXT,               -- NULL while open, then 'kept' or 'restored'
            body BLOB NOT NULL,            -- sealed JSON {"value": the losing value}
            UNIQUE (record_id, field, stamp)
        )""",
        """CREATE TABLE seen_bundles (
            bundle_id TEXT PRIMARY KEY,
            sender TEXT NOT NULL,
            at TEXT NOT NULL
        )""",
        """CREATE TABLE forward_bundles (
            bundle_id TEXT PRIMARY KEY,    -- sealed to the server by another laptop: unreadable here
            sender TEXT NOT NULL,
            data BLOB NOT NULL
        )""",
    )


# Version 1 indexed "phone" and "id_number"; they stay among the version-2 defaults.
DEFAULT_INDEX_FIELDS_V2 = (
    ("phone", "phone"),
    ("phone_number", "phone"),
    ("mobile", "phone"),
    ("id_number", "id"),
    ("document_number", "id"),
    ("passport_number", "id"),
    ("tax_number", "id"),
    ("card_number", "id"),
)

SCHEMA_VERSION = len(migrations._migrations)


def upgrade(db: Database, *, stop_before: str | None = None) -> int:
    """Apply pending migrations; return the schema version reached."""
    migrations.apply(db, stop_before=stop_before)
    version = len(migrations.applied(db))
    db.execute(f"PRAGMA user_version = {version}")
    return version


def pending(db: Database) -> list[str]:
    return [m.name for m in migrations.pending(db)]
