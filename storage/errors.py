"""Typed errors raised by the encrypted store.

Every message here is safe to show to a user and to write to a log: it may name
record ids, kinds, field names and paths, never a field's value or a passphrase.
"""
from __future__ import annotations


class StorageError(Exception):
    """Base class. ``str(error)`` is a complete, human sentence."""


class NotAProfile(StorageError):
    """The directory holds no Fieldbook profile, or something that is not ours."""


class ProfileExists(StorageError):
    """``profile init`` was pointed at a directory that already has a profile."""


class CorruptStore(StorageError):
    """The store or its keyring is damaged or truncated."""


class NewerStore(StorageError):
    """The store was written by a newer Fieldbook than this one."""


class ProfileWiped(StorageError):
    """The profile was crypto-erased; nothing can open it any more."""


class EmptyPassphrase(StorageError):
    """An empty passphrase was given."""


class WeakPassphrase(StorageError):
    """A new passphrase is too short to protect the data."""


class WrongPassphrase(StorageError):
    """The passphrase does not open any key slot (or the chosen user's slot)."""


class UnknownUser(StorageError):
    """No user of that name on this profile."""


class UserExists(StorageError):
    """A user of that name already has a key slot."""


class LastUser(StorageError):
    """The profile's last user cannot be removed (wiping the profile is the way to end it)."""


class MalformedRecoveryKey(StorageError):
    """The recovery key was mistyped: wrong length, characters or check group."""


class WrongRecoveryKey(StorageError):
    """A well-formed recovery key that does not belong to this profile."""


class Locked(StorageError):
    """The store must be unlocked before records can be read or written."""


class StoreBusy(StorageError):
    """Another process holds the database lock for longer than we wait."""


class DiskFull(StorageError):
    """The disk filled up during a write; the write was rolled back."""


class UnknownRecord(StorageError):
    """No record with that id."""


class InvalidRecord(StorageError):
    """Record input that is not a JSON object of field values."""


class InvalidQuery(StorageError):
    """A read was asked for with an argument out of range (a negative limit, say)."""


class NoBlindIndex(StorageError):
    """Exact search was asked for on a field that has no blind index."""


class DamagedRecord(CorruptStore):
    """One record's ciphertext fails authentication; the others stay readable."""

    def __init__(self, record_id: str, where: str = "record") -> None:
        self.record_id = record_id
        super().__init__(
            f"The stored {where} {record_id} is damaged and cannot be decrypted; "
            "the other records are unaffected. Restore it from the server or a backup."
        )
