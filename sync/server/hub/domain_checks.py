"""The shared domain checks after a merge (rules/domain.py), run at the hub over every team."""
from __future__ import annotations

import json
import logging

import orjson

from rules import domain

from . import core, domain_keys
from .core import Part, iso

log = logging.getLogger("fieldbook.server")
_loads = orjson.loads


class DomainChecks(Part):
    # -- domain checks after a merge (rules/domain.py) -------------------------------------
    def check_domain(self, now: int | None = None) -> tuple[list[str], list[str]]:
        """Run the shared check over every team's receipts; keep open items, close the rest.
        Returns (raised keys, closed keys)."""
        with self.db.transaction():
            return self.check_in_transaction(now or core.now_ms())

    def after_push(self, now: int, record_ids: list[str]) -> tuple[list[str], list[str]]:
        """The check after a push, in its transaction: only the groups of the receipts and
        households it merged, read from their plain id columns (domain_keys.py)."""
        return domain_keys.after_push(self, now, record_ids)

    def _check_domain(self, now: int) -> tuple[list[str], list[str]]:  # domain_keys' first, full check
        return self.check_in_transaction(now)

    def check_in_transaction(self, now: int) -> tuple[list[str], list[str]]:
        db, sealer = self.db, self._sealer
        receipts, teams = [], {}
        for rid, team, deleted, body in db.execute(
                "SELECT record_id, team, deleted, body FROM records WHERE kind = ? ORDER BY record_id", (domain.RECEIPT,)):
            fields = _loads(sealer.open(f"record|{rid}", body))
            receipts.append((rid, fields, bool(deleted)))
            teams[rid] = team
        households = sorted({f.get("household") for _, f, _ in receipts if isinstance(f.get("household"), str)})
        links: dict[str, str] = {}
        for start in range(0, len(households), 500):
            ids = households[start:start + 500]
            for hid, body in db.execute(f"SELECT record_id, body FROM records WHERE kind = ? AND record_id IN "
                                        f"({','.join('?' * len(ids))})", (domain.HOUSEHOLD, *ids)):
                target = _loads(sealer.open(f"record|{hid}", body)).get(domain.LINK_FIELD)
                if isinstance(target, str):
                    links[hid] = target
        items = domain.double_distributions(receipts, links)
        before = [k for (k,) in db.execute("SELECT review_key FROM domain_reviews WHERE closed_at IS NULL")]
        raised, closed = domain.diff(before, [i.key for i in items])
        domain_keys.save_reviews(db, now, items, raised, closed, teams)
        for key in raised:
            self._event("review_raised", None, key)
        for key in closed:
            self._event("review_closed", None, key)
        if raised or closed:
            log.info("domain check: %d review item(s) raised, %d closed", len(raised), len(closed))
        return raised, closed

    def domain_reviews(self, *, include_closed: bool = False) -> list[dict]:
        """The review items the domain check raised (open ones only unless ``include_closed``)."""
        sql = "SELECT review_key, teams, body, found_at, closed_at FROM domain_reviews"
        if not include_closed:
            sql += " WHERE closed_at IS NULL"
        return [{**json.loads(body), "teams": teams.split(","), "found_at": iso(found), "closed_at": iso(closed)}
                for _, teams, body, found, closed in self.db.execute(sql + " ORDER BY review_key")]
