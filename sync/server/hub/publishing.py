"""Publishing: forms (and distribution rounds) published to teams, withdrawn, and each team's catalogue."""
from __future__ import annotations

import logging

import orjson

from ... import protocol
from ...errors import FormNotPublished
from . import core
from .core import Part, iso

log = logging.getLogger("fieldbook.server")
_dumps = orjson.dumps
_loads = orjson.loads


class Publishing(Part):
    # -- published forms -----------------------------------------------------------------------
    def publish_form(self, form: protocol.PublishedForm, *, team: str = "*") -> bool:
        """Publish a validated form (with its files) to one team or every team ('*').
        Returns False when that exact form is already published there. A version
        number means one content: republishing it with other files is refused."""
        if team != "*" and not protocol.valid_team(team):
            raise FormNotPublished("A team name is 1-64 letters, digits, '_', '.' or '-' (or leave --team out for every team).")
        blob = _dumps(form.package())  # the same encoding the reply carries
        with self.db.transaction():
            clash = self.db.execute("SELECT 1 FROM forms WHERE form_id = ? AND version = ? AND sha256 <> ? AND files IS NOT NULL",
                                    (form.form_id, form.version, form.digest))
            if clash:
                raise FormNotPublished(
                    f"Version {form.version} of form {form.form_id} was already published with other content. Raise the "
                    "version in the settings sheet, then publish again."
                )
            latest = self.db.execute("SELECT sha256 FROM forms WHERE form_id = ? AND team = ? ORDER BY id DESC LIMIT 1",
                                     (form.form_id, team))
            if latest and latest[0][0] == form.digest:
                return False
            self.db.execute(
                "INSERT INTO forms (form_id, team, version, title, sha256, files, published_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (form.form_id, team, form.version, form.title, form.digest,
                 self._sealer.seal(f"form|{form.form_id}|{form.digest}", blob), core.now_ms()),
            )
            self._event("form_published", None, f"{form.form_id} {form.version} to {team}")
        log.info("form %s version %s published to %s", form.form_id, form.version, "every team" if team == "*" else team)
        return True

    def withdraw_form(self, form_id: str, *, team: str = "*") -> None:
        """Laptops of that team drop the form at their next sync; their records stay."""
        with self.db.transaction():
            latest = self.db.execute("SELECT files IS NULL FROM forms WHERE form_id = ? AND team = ? ORDER BY id DESC LIMIT 1",
                                     (form_id, team))
            if not latest or latest[0][0]:
                where = "every team" if team == "*" else f"team {team}"
                raise FormNotPublished(f"Form {form_id} is not published to {where}; 'server forms' lists what is.")
            self.db.execute("INSERT INTO forms (form_id, team, published_at) VALUES (?, ?, ?)", (form_id, team, core.now_ms()))
            self._event("form_withdrawn", None, f"{form_id} from {team}")
        log.info("form %s withdrawn from %s", form_id, team)

    def published_forms(self) -> list[dict]:
        """What is published now, per form and team scope (for ``server forms``)."""
        latest: dict[tuple[str, str], tuple] = {}
        for row in self.db.execute("SELECT form_id, team, version, title, sha256, files IS NULL, published_at FROM forms ORDER BY id"):
            latest[(row[0], row[1])] = row
        return [{"form_id": fid, "team": team, "version": version, "title": title, "sha256": digest,
                 "published_at": iso(at)}
                for fid, team, version, title, digest, withdrawn, at in latest.values() if not withdrawn]

    def catalogue(self, team: str) -> tuple[int, list[protocol.PublishedForm]]:
        """The forms a team's laptops should hold: per form id, the newest publication for
        the team or for every team, unless that newest row withdrew it. The sequence
        number grows with every change, so a laptop never takes an older catalogue."""
        rows = self.db.execute("SELECT id, form_id, version, title, sha256 FROM forms WHERE team IN (?, '*') ORDER BY id", (team,))
        latest = {fid: (version, title, digest) for _, fid, version, title, digest in rows}
        forms = [protocol.PublishedForm(fid, version, title, digest) for fid, (version, title, digest) in sorted(latest.items())
                 if digest is not None]
        return (rows[-1][0] if rows else 0), forms

    def last_published(self, form_id: str) -> protocol.PublishedForm | None:
        """The files of a form's (or a round's) latest publication to any team, withdrawn or not:
        a report on a round that has ended still needs its items."""
        rows = self.db.execute("SELECT sha256 FROM forms WHERE form_id = ? AND files IS NOT NULL ORDER BY id DESC LIMIT 1",
                               (form_id,))
        return self.form_files(form_id, rows[0][0]) if rows else None

    def form_files(self, form_id: str, digest: str) -> protocol.PublishedForm:
        rows = self.db.execute("SELECT files FROM forms WHERE form_id = ? AND sha256 = ? AND files IS NOT NULL "
                               "ORDER BY id DESC LIMIT 1", (form_id, digest))
        return protocol.PublishedForm.from_json(_loads(self._sealer.open(f"form|{form_id}|{digest}", rows[0][0])), files=True)
