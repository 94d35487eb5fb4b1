"""The server's own database layer: one SQL dialect subset over SQLite or PostgreSQL.

The embedded default is ``DIR/server.db`` (SQLite, WAL, synchronous=FULL). For
scale the same code runs on PostgreSQL (``--db postgresql://...``). SQL is
written once with ``?`` placeholders and ``ON CONFLICT`` clauses, which both
engines accept; the DDL differs only in the type names substituted below.

Writes are serialised (SQLite: ``BEGIN IMMEDIATE``; PostgreSQL: a transaction
advisory lock). That costs little at hub scale and gives the property that the
pull cursor relies on: server sequence numbers become visible in commit order,
so a reader never skips a change committed late.
"""
from __future__ import annotations

import contextlib
import errno
import logging
import sqlite3
import threading
from pathlib import Path
from typing import Iterator

log = logging.getLogger("fieldbook.server")

_WRITE_LOCK_KEY = 0x46424B  # PostgreSQL advisory lock id for "one writer at a time"

MIGRATIONS: list[tuple[str, list[str]]] = [
    ("0001_initial", [
        """CREATE TABLE devices (
            device_id TEXT PRIMARY KEY,
            team TEXT NOT NULL,
            sign_key TEXT NOT NULL,
            box_key TEXT NOT NULL,
            enrolled_at BIGINT NOT NULL,
            last_seen BIGINT,
            last_seq BIGINT NOT NULL DEFAULT 0,      -- highest of its sequence numbers stored here
            cursor BIGINT NOT NULL DEFAULT 0,        -- the pull cursor it last reported
            revoked_at BIGINT,
            wipe INTEGER NOT NULL DEFAULT 0
        )""",
        """CREATE TABLE enroll_codes (
            code_id TEXT PRIMARY KEY,                -- a hash: the database never holds the code
            mac_key {blob} NOT NULL,                 -- sealed with the server's data key
            team TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            expires_at BIGINT NOT NULL,
            used_at BIGINT,
            used_by TEXT
        )""",
        """CREATE TABLE changes (
            server_seq {serial},
            device_id TEXT NOT NULL,
            seq BIGINT NOT NULL,
            record_id TEXT NOT NULL,
            team TEXT NOT NULL,
            kind TEXT NOT NULL,
            form_id TEXT,
            form_version TEXT,
            hlc TEXT NOT NULL,
            deleted INTEGER NOT NULL DEFAULT 0,
            bases TEXT,
            body {blob} NOT NULL,                    -- sealed with the server's data key
            received_at BIGINT NOT NULL,
            UNIQUE (device_id, seq)
        )""",
        """CREATE INDEX changes_team ON changes (team, server_seq)""",
        """CREATE TABLE records (
            record_id TEXT PRIMARY KEY,
            team TEXT NOT NULL,
            kind TEXT NOT NULL,
            form_id TEXT,
            form_version TEXT,
            clocks TEXT NOT NULL,
            deleted INTEGER NOT NULL DEFAULT 0,
            body {blob} NOT NULL
        )""",
        """CREATE INDEX records_team ON records (team, kind)""",
        """CREATE TABLE conflicts (
            id {serial},
            record_id TEXT NOT NULL,
            team TEXT NOT NULL,
            kind TEXT NOT NULL,
            field TEXT NOT NULL,
            stamp TEXT NOT NULL,
            winner TEXT NOT NULL,
            found_at BIGINT NOT NULL,
            body {blob} NOT NULL,
            UNIQUE (record_id, field, stamp)
        )""",
        """CREATE TABLE seen_bundles (
            bundle_id TEXT PRIMARY KEY,
            sender TEXT NOT NULL,
            received_at BIGINT NOT NULL
        )""",
        """CREATE TABLE events (
            id {serial},
            at BIGINT NOT NULL,
            device_id TEXT,
            event TEXT NOT NULL,                     -- ids, counts and reasons only
            detail TEXT
        )""",
    ]),
    ("0002_published_forms", [
        # One row per publication or withdrawal; a team's catalogue is, per form id, its
        # newest row for that team or for every team ('*'), unless that row withdrew it.
        """CREATE TABLE forms (
            id {serial},
            form_id TEXT NOT NULL,
            team TEXT NOT NULL,                      -- a team, or '*' for every team
            version TEXT,
            title TEXT,
            sha256 TEXT,
            files {blob},                            -- the workbook and its choice files, sealed; NULL = withdrawn
            published_at BIGINT NOT NULL
        )""",
        """CREATE INDEX forms_by_id ON forms (form_id, id)""",
    ]),
    ("0003_conflict_resolutions", [
        # A conflict's resolution is a change that names the conflicts it closes
        # (docs/sync.md, "Resolving a conflict"): kept in the log to pass on, and
        # marked on the hub's own conflicts.
        """ALTER TABLE changes ADD COLUMN resolves TEXT""",
        """ALTER TABLE conflicts ADD COLUMN resolution TEXT""",
    ]),
    ("0004_refusals", [
        # Changes taken but refused for good, per device: every reply repeats them (HTTP
        # and USB return bundles alike), so a laptop whose bundle went by another route
        # still learns which of its acknowledged changes to set aside.
        """CREATE TABLE refusals (
            device_id TEXT NOT NULL,
            seq BIGINT NOT NULL,
            reason TEXT NOT NULL,                    -- the server's words: no field values
            refused_at BIGINT NOT NULL,
            PRIMARY KEY (device_id, seq)
        )""",
    ]),
    ("0005_enroll_throttle", [
        # Where a request came from (the client's address), for enrollment events.
        """ALTER TABLE events ADD COLUMN source TEXT""",
        """CREATE INDEX events_by_event ON events (event, id)""",
        # Refused enrollments per source address. In the database, not in memory, so
        # every server process behind one database counts the same failures.
        """CREATE TABLE enroll_sources (
            source TEXT PRIMARY KEY,
            failures INTEGER NOT NULL,               -- refused enrollments in the current run
            first_failure BIGINT NOT NULL,
            last_failure BIGINT NOT NULL,
            next_try BIGINT NOT NULL,                -- no code from it is checked before this
            locked_until BIGINT                      -- set once failures reach the lockout count
        )""",
    ]),
    ("0006_parked_parts", [
        # A part of a USB export that arrived before the part it follows (docs/sync.md,
        # "USB bundles"): kept whole, still sealed, until the device's seq reaches ``after``.
        """CREATE TABLE parked_bundles (
            bundle_id TEXT PRIMARY KEY,
            device_id TEXT NOT NULL,
            after BIGINT NOT NULL,
            data {blob} NOT NULL,
            received_at BIGINT NOT NULL
        )""",
        """CREATE INDEX parked_by_device ON parked_bundles (device_id, after)""",
    ]),
    ("0007_domain_reviews", [
        # What the shared domain check (rules/domain.py) found after the last push that
        # brought a receipt or a household: open items have no closed_at. Ids only.
        """CREATE TABLE domain_reviews (
            review_key TEXT PRIMARY KEY,             -- kind|round|household
            teams TEXT NOT NULL,                     -- the teams whose receipts it names, comma-separated
            body TEXT NOT NULL,                      -- the item as JSON: round, household and receipt ids
            found_at BIGINT NOT NULL,
            closed_at BIGINT
        )""",
    ]),
    ("0008_console", [
        # The hub console (sync/server/console/): web accounts, never devices; they never sync.
        """CREATE TABLE web_users (
            name TEXT PRIMARY KEY,
            role TEXT NOT NULL,                      -- admin | lead | viewer
            teams TEXT NOT NULL,                     -- comma-separated; '*' for an admin
            password TEXT NOT NULL,                  -- argon2id$...: a hash, never the password
            created_at BIGINT NOT NULL,
            disabled_at BIGINT,
            failures INTEGER NOT NULL DEFAULT 0,     -- failed sign-ins in a row
            locked_until BIGINT
        )""",
        """CREATE TABLE web_sessions (
            token_hash TEXT PRIMARY KEY,             -- SHA-256 of the cookie's token; the token is never stored
            user_name TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            last_seen BIGINT NOT NULL
        )""",
        """CREATE INDEX web_sessions_user ON web_sessions (user_name)""",
        # The console's index of submissions, kept up from the change log by a cursor.
        """CREATE TABLE console_rows (
            record_id TEXT PRIMARY KEY,
            form_id TEXT NOT NULL,
            team TEXT NOT NULL,
            device_id TEXT NOT NULL,                 -- the device that made it
            created_ms BIGINT NOT NULL,              -- when it was made (its UUIDv7 time)
            day TEXT NOT NULL,                       -- YYYY-MM-DD of created_ms, UTC
            updated_ms BIGINT NOT NULL,
            deleted INTEGER NOT NULL DEFAULT 0,
            review TEXT NOT NULL DEFAULT 'received'  -- received | has_issues | approved | rejected: set at the hub
        )""",
        """CREATE INDEX console_rows_page ON console_rows (form_id, created_ms, record_id)""",
        """CREATE INDEX console_rows_team ON console_rows (form_id, team, created_ms, record_id)""",
        """CREATE INDEX console_rows_device ON console_rows (form_id, device_id, created_ms, record_id)""",
        """CREATE INDEX console_rows_day ON console_rows (day, form_id)""",
        """CREATE INDEX console_rows_review ON console_rows (form_id, review, created_ms, record_id)""",
        """CREATE INDEX console_rows_count ON console_rows (form_id, deleted, team)""",  # the Overview's counts, from the index alone
        """CREATE TABLE console_terms (
            token TEXT NOT NULL,                     -- blind index: HMAC of form, field and normalised value
            created_ms BIGINT NOT NULL,
            record_id TEXT NOT NULL,
            PRIMARY KEY (token, created_ms, record_id)
        )""",
        """CREATE INDEX console_terms_record ON console_terms (record_id)""",
        """CREATE TABLE console_state (name TEXT PRIMARY KEY, value BIGINT NOT NULL)""",
        """CREATE INDEX changes_record ON changes (record_id, server_seq)""",
        """CREATE INDEX records_form ON records (form_id, record_id)""",  # exports read a form in id order
        """ALTER TABLE events ADD COLUMN actor TEXT""",  # the web user behind a console action
    ]),
    ("0009_change_authors", [
        # Who made a change: the display name its laptop's user chose (docs/sync.md,
        # "Changes"). A person's name, so sealed with the server's data key like a body
        # (place ``author|device|seq``); NULL for changes from laptops that send none.
        """ALTER TABLE changes ADD COLUMN author {blob}""",
    ]),
    ("0010_served_changes", [
        # A change as a reply carries it, up to its values (``{..., "fields":``): ids, clocks
        # and flags, each a plaintext column already. A pull joins it with the opened body,
        # so serving a change neither parses nor encodes it again. NULL for changes stored
        # before this migration: those are put together from their columns when served.
        """ALTER TABLE changes ADD COLUMN head {blob}""",
        # A team's conflicts, and its open ones alone ('server conflicts --team', the
        # console's lists and counts). EXPLAIN at 100,000 conflicts: bench/hub_explain.py.
        """CREATE INDEX conflicts_team ON conflicts (team, id)""",
        """CREATE INDEX conflicts_open ON conflicts (team, id) WHERE resolution IS NULL""",
        # The domain check after a push that brings a receipt reads every receipt, by kind:
        # without this, a scan of every record (186 ms at 500,000 records) on such a push.
        """CREATE INDEX records_kind ON records (kind, record_id)""",
        # Which server's keys this database's sealed values need: the first process to start
        # writes it, and a process started with another server-keys.json stops with a clear
        # message instead of failing on its first sealed value. No key, only a check value.
        """CREATE TABLE server_identity (
            one INTEGER PRIMARY KEY CHECK (one = 1),
            server_id TEXT NOT NULL,
            key_check TEXT NOT NULL,                 -- HMAC of a fixed text under the data key
            claimed_at BIGINT NOT NULL
        )""",
    ]),
    # Changes made at the hub (sync/server/hub_edits.py) carry the server id as their origin;
    # this says which person made each one. Names and ids only, no value.
    ("0011_hub_changes", [
        """CREATE TABLE hub_changes (
            seq BIGINT PRIMARY KEY,                  -- the change's sequence number (origin: the server id)
            record_id TEXT NOT NULL,
            actor TEXT NOT NULL,                     -- the web user, or "(command line)"
            at BIGINT NOT NULL
        )""",
    ]),
    ("0012_analyst_api", [
        # Analyst tokens (sync/server/api/tokens.py): never web sessions, never devices.
        """CREATE TABLE api_tokens (
            token_id TEXT PRIMARY KEY,               -- public: lists and the audit log name it
            token_hash TEXT NOT NULL UNIQUE,         -- SHA-256 of the token; the token is never stored
            name TEXT NOT NULL,
            teams TEXT NOT NULL,                     -- comma-separated; '*' for every team
            forms TEXT NOT NULL,                     -- comma-separated; '*' for every form
            created_at BIGINT NOT NULL,
            created_by TEXT NOT NULL,
            expires_at BIGINT NOT NULL,
            revoked_at BIGINT,
            last_used BIGINT
        )""",
        # The console's background exports (sync/server/console/jobs.py): their progress.
        """CREATE TABLE export_jobs (
            job_id TEXT PRIMARY KEY,
            user_name TEXT NOT NULL,
            form_id TEXT NOT NULL,
            fmt TEXT NOT NULL,
            detail TEXT NOT NULL,                    -- teams and language asked for (no values)
            state TEXT NOT NULL,                     -- running | done | failed
            done INTEGER NOT NULL DEFAULT 0,         -- submissions written so far
            total INTEGER,                           -- submissions to write (counted at the start)
            file TEXT,                               -- the finished file's name in the spool folder
            message TEXT,                            -- why it failed: no values
            started_at BIGINT NOT NULL,
            heartbeat BIGINT NOT NULL,               -- the export's thread was alive then
            finished_at BIGINT
        )""",
    ]),
    ("0014_domain_keys", [
        # Plain ids of each receipt and household for the double-distribution check after a
        # push (sync/server/hub/domain_keys.py): record and round ids only, nothing a person typed.
        """CREATE TABLE domain_keys (
            record_id TEXT PRIMARY KEY,
            kind TEXT NOT NULL,                      -- receipt | household
            round TEXT,                              -- a receipt's round id
            household TEXT,                          -- a receipt's household record id
            link TEXT,                               -- a household's duplicate_of record id
            live INTEGER NOT NULL                    -- a receipt neither voided nor deleted
        )""",
        """CREATE INDEX domain_keys_household ON domain_keys (household)""",
        """CREATE INDEX domain_keys_link ON domain_keys (link)""",
        """CREATE TABLE domain_keys_state (name TEXT PRIMARY KEY, value TEXT NOT NULL)""",  # 'built' once filled
    ]),
    ("0015_duplicate_pairs", [
        # The candidate household pairs of the last ``server duplicates`` run over every team
        # (sync/server/duplicates.py), for the console's Review page. Record ids, teams and the
        # score in the clear; the references and the matcher's reasons (which quote names) sealed.
        """CREATE TABLE duplicate_pairs (
            a TEXT NOT NULL,                         -- the older household's record id
            b TEXT NOT NULL,                         -- the newer household's record id
            team_a TEXT NOT NULL,
            team_b TEXT NOT NULL,
            score DOUBLE PRECISION,
            body {blob} NOT NULL,                    -- sealed: the references and the reasons
            found_at BIGINT NOT NULL,
            PRIMARY KEY (a, b)
        )""",
        """CREATE INDEX duplicate_pairs_team_a ON duplicate_pairs (team_a)""",
        """CREATE INDEX duplicate_pairs_team_b ON duplicate_pairs (team_b)""",
    ]),
    ("0016_heads_to_backfill", [
        # The changes stored before 0010 kept no served head; each was put together from its
        # columns every time it was served. At start, the hub fills them in, in batches
        # (ChangeLog.backfill_heads), finding them with this index, which is empty afterwards.
        """CREATE INDEX changes_head_missing ON changes (server_seq) WHERE head IS NULL""",
    ]),
    ("0017_domain_keys_built_when_empty", [
        # A hub with no receipt or household yet has nothing to fill: its columns are complete
        # as they are, and its first push keeps them like any other (domain_keys.after_push).
        """INSERT INTO domain_keys_state (name, value) SELECT 'built', '1' WHERE NOT EXISTS
           (SELECT 1 FROM records WHERE kind IN ('receipt', 'household'))
           AND NOT EXISTS (SELECT 1 FROM domain_keys_state WHERE name = 'built')""",
    ]),
    ("0020_console_counts", [
        # The Overview's and the data page's submissions per form and team, kept up by the
        # console's index in the same transaction as console_rows (console/data.py), so a page
        # reads a few rows instead of counting a million. Write transactions run one at a
        # time (Database.transaction), so two processes never count one change twice.
        """CREATE TABLE console_counts (
            form_id TEXT NOT NULL,
            team TEXT NOT NULL,
            n BIGINT NOT NULL,                       -- live (not deleted) submissions
            PRIMARY KEY (form_id, team)
        )""",
        """INSERT INTO console_counts (form_id, team, n)
           SELECT form_id, team, count(*) FROM console_rows WHERE deleted = 0 GROUP BY form_id, team""",
    ]),
]

_TYPES = {
    "sqlite": {"serial": "INTEGER PRIMARY KEY AUTOINCREMENT", "blob": "BLOB"},
    "postgresql": {"serial": "BIGSERIAL PRIMARY KEY", "blob": "BYTEA"},
}


class DatabaseError(Exception):
    """The server's database cannot be reached or used; the message says which and why."""


class DatabaseFull(DatabaseError):
    """The disk under the server's database is full. The transaction was rolled back."""

    def __init__(self) -> None:
        super().__init__("The server's disk is full, so nothing was written. Free some space on the hub, then try again.")


def _disk_full(exc: BaseException) -> bool:
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return True
    if isinstance(exc, sqlite3.Error):
        return getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL or "disk is full" in str(exc)
    return getattr(exc, "sqlstate", None) == "53100"  # PostgreSQL's disk_full


@contextlib.contextmanager
def _typed_errors() -> Iterator[None]:
    """A full disk, from either engine or the OS, becomes ``DatabaseFull``."""
    try:
        yield
    except DatabaseError:
        raise
    except Exception as exc:
        if _disk_full(exc):
            raise DatabaseFull() from exc
        raise


class Database:
    """Thread-safe: each thread gets its own connection."""

    def __init__(self, url: str | None, data_dir: Path) -> None:
        self.url = url
        if url and url.startswith(("postgresql://", "postgres://")):
            self.dialect = "postgresql"
            try:
                import psycopg  # noqa: F401  (imported here: SQLite deployments never need it)
            except ImportError:
                raise DatabaseError("PostgreSQL support is not installed: pip install 'psycopg[binary]'.") from None
        elif url is None or url.startswith("sqlite:"):
            self.dialect = "sqlite"
            # sqlite:///relative.db or sqlite:////absolute/path.db; by default DIR/server.db
            self.path = Path(url[len("sqlite:///"):]) if url else data_dir / "server.db"
        else:
            raise DatabaseError(f"Unsupported database URL scheme in {url.split(':', 1)[0]!r}: use postgresql://... or leave --db out.")
        self._local = threading.local()
        self._sqlite_write = threading.Lock()
        self._all: list = []

    # -- connections -------------------------------------------------------------------
    def _conn(self):
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
            self._all.append(conn)
        return conn

    def _connect(self):
        if self.dialect == "sqlite":
            try:
                conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = FULL")
                conn.execute("PRAGMA busy_timeout = 30000")
            except sqlite3.Error as exc:
                raise DatabaseError(f"Cannot open the server database {self.path}: {exc}.") from None
            return conn
        import psycopg

        try:
            return psycopg.connect(self.url, autocommit=True, connect_timeout=10)
        except psycopg.Error as exc:
            host = self.url.split("@")[-1].split("/")[0]
            raise DatabaseError(f"Cannot connect to PostgreSQL at {host}: {str(exc).strip().splitlines()[0]}.") from None

    def close(self) -> None:
        for conn in self._all:
            with contextlib.suppress(Exception):
                conn.close()
        self._all.clear()
        self._local = threading.local()

    # -- statements ----------------------------------------------------------------------
    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s") if self.dialect == "postgresql" else sql

    def execute(self, sql: str, args: tuple | list = (), *, binary: bool = False) -> list[tuple]:
        """``binary``: on PostgreSQL, rows come in the binary format. Worth it for rows of
        blobs, which the text format sends as hex for the driver to decode again."""
        with _typed_errors():
            if binary and self.dialect == "postgresql":
                cur = self._conn().execute(self._sql(sql), args, binary=True)
            else:
                cur = self._conn().execute(self._sql(sql), args)
            try:
                return [tuple(r) for r in cur.fetchall()] if cur.description else []
            finally:
                if self.dialect == "postgresql":
                    cur.close()

    def executemany(self, sql: str, rows: list) -> int:
        """Run ``sql`` once per row; return the number of rows it changed (both engines sum
        them: an ``ON CONFLICT DO NOTHING`` that skipped a row counts it as 0)."""
        if not rows:
            return 0
        conn = self._conn()
        with _typed_errors():
            if self.dialect == "sqlite":
                return conn.executemany(sql, rows).rowcount
            with conn.cursor() as cur:
                cur.executemany(self._sql(sql), rows)
                return cur.rowcount

    @contextlib.contextmanager
    def transaction(self, *, write: bool = True) -> Iterator["Database"]:
        """One transaction. Write transactions run one at a time, across processes too."""
        conn = self._conn()
        if self.dialect == "sqlite":
            lock = self._sqlite_write if write else contextlib.nullcontext()
            with lock, _typed_errors():
                conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
                try:
                    yield self
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:  # SQLite may have rolled back already (a full disk at COMMIT)
                        conn.execute("ROLLBACK")
                    raise
            return
        with _typed_errors(), conn.transaction():
            if write:
                self.execute("SELECT pg_advisory_xact_lock(?)", (_WRITE_LOCK_KEY,))
            yield self

    # -- schema ----------------------------------------------------------------------------
    def migrate(self) -> list[str]:
        """Apply pending migrations, each in its own transaction with its record; return their names."""
        with self.transaction():
            self.execute("CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at BIGINT)")
        applied = {r[0] for r in self.execute("SELECT name FROM schema_migrations")}
        known = {name for name, _ in MIGRATIONS}
        if applied - known:
            raise DatabaseError(
                f"The server database was migrated by a newer Fieldbook ({', '.join(sorted(applied - known))}); update this server."
            )
        done = []
        for name, statements in MIGRATIONS:
            if name in applied:
                continue
            with self.transaction():
                if name in {r[0] for r in self.execute("SELECT name FROM schema_migrations WHERE name = ?", (name,))}:
                    continue  # another server process got there first
                for sql in statements:
                    self.execute(sql.format(**_TYPES[self.dialect]))
                self.execute("INSERT INTO schema_migrations VALUES (?, ?)", (name, 0))
            log.info("server schema: applied %s", name)
            done.append(name)
        return done
