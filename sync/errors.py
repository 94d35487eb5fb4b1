"""Typed errors raised by sync.

Every message here is safe to show to a user and to write to a log: it names
device ids, bundle ids, sizes and format versions, never payload content or key
material. Ids quoted from a bundle's plaintext header are untrusted, but the
header parser only lets through ``[A-Za-z0-9_.-]``, so they cannot carry control
characters or forged log lines. The presenter shows ``str(error)`` as it is.
"""
from __future__ import annotations

import os.path


class SyncError(Exception):
    """Base class. ``str(error)`` is a complete, human sentence: what happened, what to do."""


class BundleError(SyncError):
    """A sync bundle was refused. Nothing from it was applied."""


class NotABundle(BundleError):
    """The data does not start like a Fieldbook bundle, or its header is malformed."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(
            f"This is not a Fieldbook sync bundle ({reason}); nothing was imported. "
            "Check that you chose the right file."
        )


class UnsupportedBundleVersion(BundleError):
    """The bundle uses a format version this Fieldbook does not know (a newer one)."""

    def __init__(self, version: int) -> None:
        self.version = version
        super().__init__(
            f"This bundle was made by a newer Fieldbook (bundle format {version}); nothing was imported. "
            "Update Fieldbook on this computer, then import the bundle again."
        )


class BundleTruncated(BundleError):
    """The bundle ends early: an interrupted copy or upload."""

    def __init__(self, have: int, need: int | None) -> None:
        self.have, self.need = have, need
        size = f"{have:,} of {need:,} bytes" if need is not None else f"only {have:,} bytes"
        super().__init__(
            f"This bundle is incomplete ({size}); nothing was imported. It was probably copied or "
            "sent before the transfer finished: copy or send it again from the original."
        )


class BundleTampered(BundleError):
    """A signature or an authentication tag did not verify: the bundle was altered or damaged."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(
            f"This bundle failed its integrity check ({reason}); nothing was imported. It was "
            "damaged or altered after it was made: make a new bundle on the sending device. If "
            "this happens again with a fresh bundle, tell your administrator."
        )


class WrongRecipient(BundleError):
    """The bundle is sealed for another device or server (or another key of this one)."""

    def __init__(self, addressed_to: str, this_is: str, *, key_differs: bool = False) -> None:
        self.addressed_to, self.this_is, self.key_differs = addressed_to, this_is, key_differs
        if key_differs:
            text = (
                f"This bundle is sealed for an older or different key of '{addressed_to}', so it "
                "cannot be opened here; nothing was imported. Make a new bundle on the sending "
                "device after it has synced its keys with this one."
            )
        else:
            text = (
                f"This bundle is addressed to '{addressed_to}', not to this one ('{this_is}'), so "
                "it cannot be opened here; nothing was imported. Deliver it to its recipient."
            )
        super().__init__(text)


class UnknownSender(BundleError):
    """The sender is not enrolled here, or has been revoked."""

    def __init__(self, sender_id: str) -> None:
        self.sender_id = sender_id
        super().__init__(
            f"This bundle comes from '{sender_id}', which is not enrolled here or has been "
            "revoked; nothing was imported. Ask your administrator to enroll that device."
        )


class BundleTooLarge(BundleError):
    """The bundle, or its payload once decompressed, is over the size limit."""

    def __init__(self, what: str, size: int | None, limit: int) -> None:
        self.what, self.size, self.limit = what, size, limit
        amount = f"{_mb(size)} MB, over" if size is not None else "over"
        super().__init__(
            f"This {what} is {amount} the limit of {_mb(limit)} MB; nothing was imported. "
            "Sync more often, or in smaller batches, so that each bundle stays under the limit."
        )


class BundleReplayed(BundleError):
    """This bundle id was seen before. Raised by callers, which keep the set of seen ids."""

    def __init__(self, bundle_id: str) -> None:
        self.bundle_id = bundle_id
        super().__init__(
            f"This bundle ({bundle_id}) was already imported; it was not applied a second time. "
            "Nothing needs to be done."
        )


# --- bundle files (a USB stick, a folder) ------------------------------------------------
class BundleFileError(SyncError):
    """A bundle file could not be read or written: the file system said no, before any
    bundle content was looked at. ``action`` is "read" or "write"; ``kind`` one of
    "denied", "full", "read_only", "is_folder", "other" (``reason``: the system's words)."""

    def __init__(self, path: str, action: str, kind: str = "other", reason: str = "") -> None:
        self.path, self.action, self.kind, self.reason = str(path), action, kind, reason
        super().__init__(self._sentence())

    def _sentence(self) -> str:
        why = {"denied": "permission denied", "full": "the disk is full", "read_only": "the disk is read-only",
               "is_folder": "that is a folder, not a file"}.get(self.kind, self.reason or "the system refused")
        done = "nothing was imported" if self.action == "read" else "nothing was written"
        return f"Cannot {self.action} {self.path}: {why}; {done}."


class BundleFileMissing(BundleFileError):
    """There is no file at the path given (its folder exists)."""

    def __init__(self, path: str) -> None:
        super().__init__(path, "read", "missing")

    def _sentence(self) -> str:
        return f"There is no file at {self.path}; nothing was imported. Check the file name and its folder."


class BundleFolderMissing(BundleFileError):
    """The folder of the path does not exist: often a USB stick that is not plugged in or not mounted."""

    def __init__(self, path: str, action: str) -> None:
        self.folder = os.path.dirname(str(path)) or "."
        super().__init__(path, action, "missing_folder")

    def _sentence(self) -> str:
        done = "nothing was imported" if self.action == "read" else "nothing was written"
        return (f"The folder {self.folder} does not exist; {done}. If it is on a USB stick, the stick may not be "
                "plugged in or mounted.")


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):,.1f}"


# --- enrollment, devices and the connection ------------------------------------------
class EnrollmentRefused(SyncError):
    """The server would not enroll this laptop: the code is unknown, used, expired or did not verify."""


class EnrollmentThrottled(EnrollmentRefused):
    """Too many refused enrollments came from one address: it must wait (``retry_after_s``)
    before the server checks another code from it."""

    def __init__(self, retry_after_s: int, *, locked: bool = False) -> None:
        self.retry_after_s, self.locked = retry_after_s, locked
        wait = _duration(retry_after_s)
        if locked:
            text = (f"Too many wrong enrollment codes came from this address, so the server stopped checking codes "
                    f"from it for now; try again in {wait}. Check the code with the hub first.")
        else:
            text = f"Several wrong enrollment codes came from this address; try again in {wait}. Check the code with the hub."
        super().__init__(text)


class RequestTooLarge(SyncError):
    """A request body is over the size its endpoint allows; the server did not read it."""

    def __init__(self, size: int | None, limit: int) -> None:
        self.size, self.limit = size, limit
        amount = f"{size:,} bytes, over" if size is not None else "over"
        super().__init__(f"The request is {amount} this endpoint's limit of {limit:,} bytes; nothing was read or changed.")


def _duration(seconds: int) -> str:
    if seconds < 90:
        return f"{max(1, seconds)} seconds"
    return f"{(seconds + 59) // 60} minutes"


class BadServerAddress(SyncError):
    """The server address cannot be used: empty, a scheme other than http(s), or no host."""

    def __init__(self, address: str, reason: str) -> None:
        self.address, self.reason = address, reason  # reason: "empty" | "scheme" | "host"
        words = {"empty": "it is empty", "scheme": "only http:// and https:// addresses work",
                 "host": "it names no server"}.get(reason, "it is not a server address")
        super().__init__(f"The server address '{address}' cannot be used: {words}. "
                         "Type it as your hub gave it, for example http://hub.example:8765.")


class MistypedEnrollmentCode(SyncError):
    """The one-time code does not have the shape of one (checked before anything is sent)."""

    def __init__(self) -> None:
        super().__init__("That enrollment code is mistyped: it has 16 letters and digits, like K7QP-3MZD-XW9A-HT4R. "
                         "Nothing was sent.")


class NotEnrolled(SyncError):
    """The profile has not been enrolled with a server yet."""

    def __init__(self) -> None:
        super().__init__(
            "This profile is not enrolled with a server yet. Ask the hub for a one-time code, then run "
            "'sync enroll --server URL --code CODE' (or use Settings > Server in the app)."
        )


class UnknownDevice(SyncError):
    """The server has no such device."""


class DeviceRevoked(SyncError):
    """The hub revoked this device; the server refuses it. ``erased``: this laptop's
    profile was crypto-erased on the hub's signed order (the app must say so)."""

    def __init__(self, message: str, *, erased: bool = False) -> None:
        self.erased = erased
        super().__init__(message)


class ServerUnreachable(SyncError):
    """No answer from the server: offline, wrong address, or the server stopped mid-sync.
    An ordinary event for a field laptop: nothing is lost, the next try resumes.

    ``midway`` says the link failed during the exchange, after it had connected: a
    timeout, a reset or a reply cut short. It is "send" when the request was not
    through, "receive" when the reply was not, "" when no connection was made at all.
    A slow or short-lived link fails midway; the client then sends less per request."""

    def __init__(self, message: str, *, midway: str = "") -> None:
        self.midway = midway
        super().__init__(message)


class ServerRefused(SyncError):
    """The server answered with a refusal; the message is the server's reason."""


class ServerMismatch(SyncError):
    """The server's answer is not signed by the key pinned at enrollment."""


class FormNotPublished(SyncError):
    """The hub would not publish or withdraw a form; the message says why and what to do."""
