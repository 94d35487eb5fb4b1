"""Typed errors of the household registry.

Every message is safe to show and to log: it may name a row, a column, a field or a
path, never a value a person typed (a name, a phone, a document number).
"""
from __future__ import annotations


class RegistryError(Exception):
    """Base class. ``str(error)`` is a complete, human sentence."""


class InvalidCardCode(RegistryError):
    """A card code is malformed or its check character is wrong."""


class ImportFailed(RegistryError):
    """A registration list cannot be read at all (encoding, missing columns, bad mapping)."""


class ReviewError(RegistryError):
    """A duplicate-review decision cannot be recorded (unknown household, no reason...)."""


class InvalidHousehold(ImportFailed):
    """A household entered by hand has bad fields; ``fields`` names them (never the values)."""

    def __init__(self, message: str, fields: list[str]) -> None:
        super().__init__(message)
        self.fields = fields


class LinkLoop(ReviewError):
    """Linking the pair as decided would make duplicate links go round in a circle."""
