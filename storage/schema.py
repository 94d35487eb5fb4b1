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


@migrations(name="0004_lean_rows")
def _lean_rows(db: Database) -> None:
    # Bulk writes were bound by the bytes SQLite writes per record, scans by the
    # columns read per row. This version writes fewer and smaller rows:
    # - records get a stable integer handle (``ref``, an INTEGER PRIMARY KEY, so it
    #   survives VACUUM). The blind index refers to it instead of the 36-character
    #   id: its entries land on random pages, so their size is what a write pays for.
    # - ``clocks`` is NULL while every field carries the record's ``updated`` stamp
    #   (every record as first saved); a scan then reads no clock text at all.
    # - a creation's outbox change carries no second sealed copy of the body: its
    #   fields are the record row's body while ``records.outbox_seq`` names it. The
    #   store seals the change's own body before it first rewrites that record.
    # - with most bodies gone, outbox rows are small: the table is keyed by
    #   (device_id, seq) itself (WITHOUT ROWID), one B-tree fewer per change.
    # - one audit entry covers a whole batch of new records: ``audit.records`` packs
    #   their ids (and the first outbox sequence), and the HMAC chain covers it.
    _run(
        db,
        """CREATE TABLE records_v4 (
            ref INTEGER PRIMARY KEY,       -- stable integer handle (blind index)
            id TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL,
            form_id TEXT,
            form_version TEXT,
            updated TEXT NOT NULL,         -- newest stamp on the record
            clocks TEXT,                   -- JSON {field: "hlc@device"}; NULL: every field has `updated`
            deleted INTEGER NOT NULL DEFAULT 0,
            outbox_seq INTEGER,            -- this device's creation change whose fields are this body
            body BLOB NOT NULL             -- sealed JSON {field: value}
        )""",
        """INSERT INTO records_v4 (id, kind, form_id, form_version, updated, clocks, deleted, body)
           SELECT id, kind, form_id, form_version, updated,
                  CASE WHEN clocks = '{"":"' || updated || '"}' THEN NULL ELSE clocks END,
                  deleted, body
           FROM records ORDER BY id""",
        """CREATE TABLE blind_index_v4 (
            token BLOB NOT NULL,           -- truncated HMAC of kind, field, normalised value
            ref INTEGER NOT NULL,          -- records.ref
            PRIMARY KEY (token, ref)
        ) WITHOUT ROWID""",
        """INSERT INTO blind_index_v4 (token, ref)
           SELECT b.token, r.ref FROM blind_index b JOIN records_v4 r ON r.id = b.record_id""",
        """CREATE TABLE changes_v4 (
            device_id TEXT NOT NULL,
            seq INTEGER NOT NULL,
            record_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            form_id TEXT,
            form_version TEXT,
            hlc TEXT NOT NULL,
            deleted INTEGER NOT NULL DEFAULT 0,
            acked INTEGER NOT NULL DEFAULT 0,
            body BLOB,                     -- sealed JSON of the changed fields; NULL: see records.outbox_seq
            PRIMARY KEY (device_id, seq)
        ) WITHOUT ROWID""",
        """INSERT INTO changes_v4 SELECT device_id, seq, record_id, kind, form_id, form_version, hlc, deleted, acked, body
           FROM changes""",
        """DROP TABLE records""",
        """DROP TABLE blind_index""",
        """DROP TABLE changes""",
        """ALTER TABLE records_v4 RENAME TO records""",
        """ALTER TABLE blind_index_v4 RENAME TO blind_index""",
        """ALTER TABLE changes_v4 RENAME TO changes""",
        """CREATE INDEX records_kind_id ON records (kind, deleted, id)""",
        """CREATE INDEX changes_pending ON changes (acked, device_id, seq)""",
        # 1 format byte, the 8-byte first outbox sequence, then 16 bytes per record id.
        """ALTER TABLE audit ADD COLUMN records BLOB""",
    )


@migrations(name="0005_sync_state")
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



@migrations(name="0006_published_forms")
def _published_forms(db: Database) -> None:
    # Forms the hub published to this laptop's team. Not personal data, but sealed
    # like everything else: choice files can list places, and a seized laptop
    # should not show what a team was asking about.
    _run(
        db,
        """CREATE TABLE published_forms (
            form_id TEXT PRIMARY KEY,
            version TEXT NOT NULL,
            sha256 TEXT NOT NULL,          -- digest of the workbook and its choice files
            body BLOB NOT NULL             -- sealed JSON {title, xlsx, media}
        )""",
    )


# Migrations are applied by name, in the order they are registered here; this one
# depends on nothing that 0006 does (the two were written side by side).
@migrations(name="0007_local_drafts")
def _local_drafts(db: Database) -> None:
    # Drafts (unfinished forms) became local-only: they must not reach the server.
    # This runs at open, before unlock, so it can only touch plaintext columns.
    # - Every outbox row of kind 'draft' goes, acknowledged or not, and with it the
    #   sealed draft content it held. Their sequence numbers are never reused
    #   (``meta.last_seq`` stays): an unacknowledged change may already be at the hub
    #   (a USB bundle in transit, a reply lost on the way back), and the hub treats
    #   seq as a high-water mark, so a reused number would make it drop a real
    #   change as a duplicate. The hub may therefore see holes where withdrawn draft
    #   changes were, once; it accepts them (sync/server/hub.py) and docs/sync.md says so.
    # - The highest acknowledged sequence is kept in ``meta.acked_floor``: the sync
    #   client measures progress by it, and the row that held it may be one removed.
    # - Draft rows stop naming a creation change (``outbox_seq``), and draft tombstones
    #   and conflicts go: no replica is to be told about drafts any more.
    # The kinds are spelled out rather than read from rules.names.LOCAL_KINDS: a
    # shipped migration must do the same thing whatever that set becomes later.
    local = "('draft')"
    row = db.execute("SELECT value FROM meta WHERE key = 'device_id'").fetchone()
    if row is not None:
        acked = db.execute("SELECT max(seq) FROM changes WHERE device_id = ? AND acked = 1", [row[0]]).fetchone()[0]
        if acked:
            db.execute("INSERT OR REPLACE INTO meta VALUES ('acked_floor', ?)", [str(acked)])
    _run(
        db,
        f"""DELETE FROM changes WHERE kind IN {local}""",
        f"""UPDATE records SET outbox_seq = NULL WHERE kind IN {local} AND outbox_seq IS NOT NULL""",
        f"""DELETE FROM conflicts WHERE kind IN {local}""",
        f"""DELETE FROM records WHERE kind IN {local} AND deleted = 1""",
    )


@migrations(name="0008_conflict_resolutions")
def _conflict_resolutions(db: Database) -> None:
    # A conflict's resolution is a change that syncs (docs/sync.md, "Resolving a
    # conflict"): the change names the conflicts it closes, as
    # [{"field", "stamp", "resolution"}], plaintext like ``bases`` (names and stamps,
    # no values). Older changes have none.
    _run(db, """ALTER TABLE changes ADD COLUMN resolves TEXT""")


@migrations(name="0009_change_authors")
def _change_authors(db: Database) -> None:
    # Who made each change here: the display name of the person unlocked when it was
    # written, as they chose it on this laptop, so the hub and the other laptops can
    # credit an edit to a person and not only to a laptop (docs/sync.md, "Changes").
    # A name is not a beneficiary's data, but it is a person's: sealed like a body
    # (purpose ``change_author``), never in plaintext. Older changes have none, and
    # are credited to their laptop as before.
    _run(db, """ALTER TABLE changes ADD COLUMN author BLOB""")


@migrations(name="0010_draft_files")
def _draft_files(db: Database) -> None:
    # A draft keeps its files (photos, recordings) as ``draft_file`` records, a local kind
    # (rules/names.py): sealed parts like an ``attachment``'s, with ``record`` = the draft's id.
    # - As 0007 did for drafts, changes and conflicts of the new local kind go (no laptop
    #   wrote any before this version; a foreign tool's pulled ones are withdrawn alike).
    # - The field ``record`` of ``attachment`` and ``draft_file`` gets a blind index, so the
    #   files of one record are found by token and read one part at a time, never by
    #   decrypting every file of the form. Attachments stored before this version carry no
    #   token (this runs before unlock); readers fall back to a scan of the form's parts
    #   (storage/finalise.py ``record_files``).
    # The kinds are spelled out (see 0007): a shipped migration does the same thing forever.
    local = "('draft_file')"
    _run(
        db,
        f"""DELETE FROM changes WHERE kind IN {local}""",
        f"""UPDATE records SET outbox_seq = NULL WHERE kind IN {local} AND outbox_seq IS NOT NULL""",
        f"""DELETE FROM conflicts WHERE kind IN {local}""",
        f"""DELETE FROM records WHERE kind IN {local} AND deleted = 1""",
        """INSERT OR IGNORE INTO index_fields VALUES ('attachment', 'record', 'text')""",
        """INSERT OR IGNORE INTO index_fields VALUES ('draft_file', 'record', 'text')""",
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
