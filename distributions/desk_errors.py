"""Typed errors of rounds, the desk, stock and reports.

Like the registry's, every message is safe to show and to log: it names a round, an
item, a record id, a place in a file, never a value a person typed.
"""
from __future__ import annotations

from .errors import RegistryError


class DistributionError(RegistryError):
    """Base class of the distribution day's errors."""


class RoundError(DistributionError):
    """A round document is malformed (its place named), or the round is not held here."""


class HouseholdNotFound(DistributionError):
    """No registered household matches the card, phone or document."""


class NotEntitled(DistributionError):
    """The household is not eligible, not on this team's list, or asks for more than its entitlement."""


class AlreadyReceived(DistributionError):
    """A live receipt for this household and round exists: the message names when, where and who."""


class StockError(DistributionError):
    """A stock movement or a receipt would leave a negative balance, or is malformed."""
