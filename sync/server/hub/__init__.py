"""The hub's service: enrollment, devices, applying pushes, serving pulls, USB bundles.

Everything the HTTP routes and the ``server`` commands do goes through ``Hub``, a
facade over the hub's parts, one module per concern:

- ``keys``: the server's key file and the sealer (values sealed at rest);
- ``core``: what the parts share (settings, database, keys, clock, event log);
- ``enrollment``: one-time codes, enrollment and its throttle, devices, revocation;
- ``changelog``: bundles in (push, merge, conflicts), changes out (pull, the reply), review;
- ``publishing``: forms and rounds published to teams, each team's catalogue;
- ``domain_checks``: the shared checks after a merge (rules/domain.py).

Field values are sealed at rest with the server's data key (``server-keys.json``
in the data directory, owner-only): a copied database or backup shows ids,
kinds, clocks and counts, never what a person typed.
"""
from __future__ import annotations

from ... import protocol
from ...bundle import PublicKeys
from ..settings import Settings
from .changelog import MAX_REFUSALS, ChangeLog, PushResult
from .core import HubCore, ServerKeysMismatch
from .domain_checks import DomainChecks
from .enrollment import Enrollment
from .keys import KEYS_FILE, Sealer, ServerKeys
from .publishing import Publishing

__all__ = ["Hub", "HubCore", "KEYS_FILE", "MAX_REFUSALS", "PushResult", "Sealer", "ServerKeys", "ServerKeysMismatch"]


class Hub:
    """The hub's API; each method hands over to the part that owns its concern."""

    def __init__(self, settings: Settings) -> None:
        self.core = HubCore(settings)
        self.settings, self.db, self.keys = settings, self.core.db, self.core.keys
        self._sealer = self.core.sealer
        self.enrollment = Enrollment(self.core)
        self.publishing = Publishing(self.core)
        self.domain = DomainChecks(self.core)
        self.changes = ChangeLog(self.core, self.publishing, self.domain)
        self.changes.backfill_heads()  # changes stored before migration 0010 (one-off)

    @property
    def server_id(self) -> str:
        return self.core.server_id

    @property
    def _hlc(self) -> int:
        return self.core.hlc

    def public_keys(self) -> PublicKeys:
        return self.core.public_keys()

    def close(self) -> None:
        self.db.close()

    def _event(self, event: str, device_id: str | None = None, detail: str | None = None, source: str | None = None) -> None:
        self.core.event(event, device_id, detail, source)

    def _tick(self, seen_hlc: str | None = None) -> str:
        return self.core.tick(seen_hlc)

    def _device(self, device_id: str) -> tuple | None:
        return self.core.device(device_id)

    # -- enrollment and devices ------------------------------------------------------------
    def new_enroll_code(self, team: str, *, ttl_s: int | None = None) -> str:
        return self.enrollment.new_enroll_code(team, ttl_s=ttl_s)

    def enroll(self, request: dict, *, source: str | None = None) -> dict:
        return self.enrollment.enroll(request, source=source)

    def enroll_log(self, *, limit: int = 200) -> list[dict]:
        return self.enrollment.enroll_log(limit=limit)

    def enroll_sources(self) -> list[dict]:
        return self.enrollment.enroll_sources()

    def enroll_unlock(self, source: str) -> bool:
        return self.enrollment.enroll_unlock(source)

    def devices(self) -> list[dict]:
        return self.enrollment.devices()

    def revoke(self, device_id: str, *, wipe: bool = False) -> None:
        self.enrollment.revoke(device_id, wipe=wipe)

    def revocation_notice(self, device_id: str) -> dict | None:
        return self.enrollment.revocation_notice(device_id)

    # -- the change log ------------------------------------------------------------------------
    def open_incoming(self, data: bytes) -> tuple[str, protocol.SyncRequest, str]:
        return self.changes.open_incoming(data)

    def receive(self, data: bytes) -> tuple[PushResult, protocol.SyncRequest]:
        return self.changes.receive(data)

    def push(self, device_id: str, team: str, changes: list[dict], *, bundle_id: str | None = None,
             cursor: int | None = None, device_hlc: str | None = None) -> PushResult:
        return self.changes.push(device_id, team, changes, bundle_id=bundle_id, cursor=cursor, device_hlc=device_hlc)

    def pull(self, device_id: str, team: str, cursor: int, limit: int,
             max_bytes: int = protocol.MAX_PUSH_BYTES) -> tuple[list[dict], int, bool]:
        return self.changes.pull(device_id, team, cursor, limit, max_bytes)

    def reply_bundle(self, device_id: str, *, cursor: int | None = None, limit: int | None = None,
                     push: PushResult | None = None, held_forms: dict[str, str] | None = None,
                     max_bytes: int = protocol.MAX_PART_BYTES) -> tuple[bytes, protocol.SyncReply]:
        return self.changes.reply_bundle(device_id, cursor=cursor, limit=limit, push=push, held_forms=held_forms,
                                         max_bytes=max_bytes)

    def sync(self, data: bytes) -> bytes:
        return self.changes.sync(data)

    def forward(self, data: bytes) -> PushResult:
        return self.changes.forward(data)

    def conflicts(self, team: str | None = None, *, include_resolved: bool = False) -> list[dict]:
        return self.changes.conflicts(team, include_resolved=include_resolved)

    def records(self, team: str | None = None) -> dict[str, dict]:
        return self.changes.records(team)

    def counts(self) -> dict:
        return self.changes.counts()

    # -- publishing ------------------------------------------------------------------------------
    def publish_form(self, form: protocol.PublishedForm, *, team: str = "*") -> bool:
        return self.publishing.publish_form(form, team=team)

    def withdraw_form(self, form_id: str, *, team: str = "*") -> None:
        self.publishing.withdraw_form(form_id, team=team)

    def published_forms(self) -> list[dict]:
        return self.publishing.published_forms()

    def catalogue(self, team: str) -> tuple[int, list[protocol.PublishedForm]]:
        return self.publishing.catalogue(team)

    def last_published(self, form_id: str) -> protocol.PublishedForm | None:
        return self.publishing.last_published(form_id)

    def form_files(self, form_id: str, digest: str) -> protocol.PublishedForm:
        return self.publishing.form_files(form_id, digest)

    # -- domain checks ---------------------------------------------------------------------------
    def check_domain(self, now: int | None = None) -> tuple[list[str], list[str]]:
        return self.domain.check_domain(now)

    def _check_domain(self, now: int) -> tuple[list[str], list[str]]:
        return self.domain.check_in_transaction(now)

    def domain_reviews(self, *, include_closed: bool = False) -> list[dict]:
        return self.domain.domain_reviews(include_closed=include_closed)

    # -- the console's reads -------------------------------------------------------------------
    def unseal(self, place: str, blob: bytes) -> bytes:
        """Open a value this hub sealed at rest (the console's reads: records, changes, conflicts)."""
        return self._sealer.open(place, blob)

    def seal(self, place: str, plain: bytes) -> bytes:
        """Seal a value at rest under the hub's data key, bound to ``place`` (the hub's stored
        duplicate pairs: sync/server/hub_decisions.py)."""
        return self._sealer.seal(place, plain)

    def subkey(self, purpose: str) -> bytes:
        """A key for one purpose, derived from the data key (the console's blind index)."""
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF

        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=f"fieldbook/server/{purpose}/v1".encode()
                    ).derive(self.keys.data_key)
