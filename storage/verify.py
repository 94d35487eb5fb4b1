"""The verify room: decrypt every record and change, and walk the audit chain.

A creation change without a body of its own must be vouched for twice: by its record
row (``outbox_seq``) and by the audit entry that added the record (storage/audit.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import orjson

from . import crypto
from .audit import AuditLog, audit_link, unpack_ids
from .core import Core, translate_errors
from .ids import uuid_bytes
from .outbox import AUTHOR_PURPOSE


@dataclass
class VerifyReport:
    integrity: str = "ok"
    records: int = 0
    changes: int = 0
    audit_entries: int = 0
    damaged_records: list[str] = field(default_factory=list)
    damaged_changes: list[str] = field(default_factory=list)
    audit_broken_at: int | None = None
    audit_broken_record: str | None = None
    audit_head_ok: bool = True

    @property
    def ok(self) -> bool:
        return (
            self.integrity == "ok"
            and not self.damaged_records
            and not self.damaged_changes
            and self.audit_broken_at is None
            and self.audit_head_ok
        )


class Verifier:
    def __init__(self, core: Core, audit: AuditLog) -> None:
        self._core, self._audit = core, audit

    def verify(self) -> VerifyReport:
        sealer = self._core.need_key()
        report = VerifyReport()
        with translate_errors():
            result = [r[0] for r in self._core.conn.execute("PRAGMA quick_check")]
            report.integrity = "ok" if result == ["ok"] else "; ".join(result[:5])
            row_claims = self._records(sealer, report)
            bodyless = self._changes(sealer, report)
            audit_claims = self._chain(sealer, report)
            for dev, seq, rid, h in bodyless:
                if not self._vouched(dev, seq, rid, h, row_claims, audit_claims):
                    report.damaged_changes.append(f"{dev}:{seq} (record {rid})")
        self._audit.best_effort("verified" if report.ok else "verify_failed")
        return report

    def _records(self, sealer: crypto.Sealer, report: VerifyReport) -> dict[int, tuple[str, str]]:
        """Open every record; return what the rows claim: outbox seq -> (record id, stamp)."""
        claims: dict[int, tuple[str, str]] = {}
        for rid, body, outbox_seq, updated in self._core.conn.execute("SELECT id, body, outbox_seq, updated FROM records"):
            report.records += 1
            try:
                orjson.loads(sealer.open("record", rid, body))
            except (crypto.AuthenticationFailed, orjson.JSONDecodeError):
                report.damaged_records.append(rid)
            if outbox_seq is not None:
                claims[outbox_seq] = (rid, updated)
        return claims

    def _changes(self, sealer: crypto.Sealer, report: VerifyReport) -> list[tuple[str, int, str, str]]:
        """Open every change's body and author; return the bodyless ones, to be vouched for."""
        bodyless: list[tuple[str, int, str, str]] = []
        for dev, seq, rid, h, body, author in self._core.conn.execute(
                "SELECT device_id, seq, record_id, hlc, body, author FROM changes"):
            report.changes += 1
            place = f"{dev}|{seq}|{rid}"
            try:
                if author is not None:
                    sealer.open(AUTHOR_PURPOSE, place, author)
                if body is not None:
                    orjson.loads(sealer.open("change", place, body))
            except (crypto.AuthenticationFailed, orjson.JSONDecodeError):
                report.damaged_changes.append(f"{dev}:{seq} (record {rid})")
                continue
            if body is None:
                bodyless.append((dev, seq, rid, h))
        return bodyless

    def _chain(self, sealer: crypto.Sealer, report: VerifyReport) -> dict[int, bytes]:
        """Walk the audit chain and its head; return what batch entries claim: outbox seq -> record id bytes."""
        core = self._core
        prev = core.audit_genesis()
        key = core.sub_keys().audit
        expected_seq = 0
        claims: dict[int, bytes] = {}
        for seq, when, uid, action, rid, blob, mac, packed in core.conn.execute(
            "SELECT seq, hlc, user_id, action, record_id, detail, mac, records FROM audit ORDER BY seq"
        ):
            report.audit_entries += 1
            expected_seq += 1
            link = audit_link(key, prev, seq, when, uid, action, rid, blob, packed)
            if seq != expected_seq or link != mac or not self._entry_ok(sealer, seq, blob, packed, claims):
                report.audit_broken_at, report.audit_broken_record = seq, rid
                return claims
            prev = mac
        head = dict(core.conn.execute("SELECT key, value FROM meta WHERE key = 'audit_head'")).get("audit_head", "0:")
        report.audit_head_ok = head == f"{expected_seq}:{prev.hex()}" or (expected_seq == 0 and head == "0:")
        return claims

    @staticmethod
    def _entry_ok(sealer: crypto.Sealer, seq: int, blob: bytes | None, packed: bytes | None,
                  claims: dict[int, bytes]) -> bool:
        """An entry's sealed detail opens, and its packed ids (a batch entry) are well formed."""
        try:
            if blob is not None:
                sealer.open("audit", str(seq), blob)
            if packed is not None:
                first, raws = unpack_ids(packed)
                if first is not None:  # a local batch vouches for our outbox changes; a pulled one for none
                    claims.update(zip(range(first, first + len(raws)), raws))
        except (crypto.AuthenticationFailed, ValueError):
            return False
        return True

    def _vouched(self, dev: str, seq: int, rid: str, h: str, row_claims: dict, audit_claims: dict) -> bool:
        try:
            return (dev == self._core.device_id
                    and row_claims.get(seq) == (rid, f"{h}@{dev}")
                    and audit_claims.get(seq) == uuid_bytes(rid))
        except (ValueError, AttributeError):
            return False
