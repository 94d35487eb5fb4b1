"""What a sync or a bundle import did, and this laptop's clock in words."""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from rules import limits


@dataclass
class SyncResult:
    pushed: int = 0          # our changes the server now holds
    pulled: int = 0          # changes from others applied here
    conflicts: int = 0
    forwarded: int = 0       # other laptops' bundles uploaded for them, and taken by the server
    forward_refused: list = field(default_factory=list)  # [{bundle_id, device_id, reason}]: carried, refused for good
    refused: list = field(default_factory=list)  # our changes the server refused for good: now set aside
    warning: str | None = None         # a sentence (English), for the log and the command line
    warning_code: str = ""             # a SyncLoop reason code for it: see REASON_CODES
    forms_changed: bool = False  # the hub published or withdrew a form for this team
    clock: str = "ok"                  # this laptop's wall clock against the server's: ok, ahead or behind
    clock_skew_ms: int = 0             # this laptop's wall clock minus the server's, as measured
    restamped: int = 0                 # unsent changes re-stamped after a clock that was far ahead

    def to_json(self) -> dict:
        return {"pushed": self.pushed, "pulled": self.pulled, "conflicts": self.conflicts,
                "forwarded": self.forwarded, "forward_refused": len(self.forward_refused),
                "refused": len(self.refused), "set_aside": len(self.refused),
                "restamped": self.restamped, "clock": self.clock, "warning": self.warning,
                "forms_changed": self.forms_changed}


@dataclass
class ImportResult:
    kind: str                 # "applied" (a reply for this laptop) or "forward" (kept for the server)
    new: int = 0
    duplicates: int = 0
    conflicts: int = 0
    acked: int = 0
    forms_changed: bool = False

    def to_json(self) -> dict:
        return {"kind": self.kind, "new": self.new, "duplicates": self.duplicates, "conflicts": self.conflicts,
                "acked": self.acked, "forms_changed": self.forms_changed}


def clock_note(status: dict, bound_ms: int = limits.DEFAULT_MAX_CLOCK_SKEW_MS) -> tuple[str, str | None]:
    """This laptop's clock in words, from ``Store.clock_status()``: ``(state, sentence)``.

    ``state``: ``ok``; ``ahead`` / ``behind`` (the last sync found this laptop's date far
    from the server's); ``stored_ahead`` (its date looks right, but it once ran far
    ahead: the next sync re-stamps what was made then); ``restamped`` (that was done)."""
    check, restamp = status.get("check") or {}, status.get("restamp")
    if check.get("state") == "ahead":
        return "ahead", (f"At the last sync this laptop's clock was {span(check['skew_ms'])} ahead of the server's. "
                         "Set the correct date and time; changes made meanwhile wait, then are re-stamped and sent.")
    if check.get("state") == "behind":
        return "behind", (f"At the last sync this laptop's clock was {span(-check['skew_ms'])} behind the server's. "
                          "Set the correct date and time: while it is wrong, this laptop's edits can lose to older ones.")
    if status.get("stored_ahead_ms", 0) > bound_ms:
        return "stored_ahead", (f"This laptop's clock once ran {span(status['stored_ahead_ms'])} ahead. If today's date "
                                "is right now, the next sync re-stamps the changes made then and sends them.")
    if restamp:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(restamp["at_ms"] / 1000))
        return "restamped", (f"On {when} this laptop's date was found to have been {span(restamp['ahead_ms'])} ahead; "
                             f"{restamp['changes']} change(s) made then were re-stamped with the current time and sent. "
                             "Their values are unchanged.")
    return "ok", None


def span(ms: float) -> str:
    """A clock difference in words: hours up to two days, then days."""
    hours = ms / 3_600_000
    return f"{hours:.1f} hours" if hours < 48 else f"{hours / 24:.0f} days"
