"""The self-test steps that need both sides of sync (main.py runs them in ``self-test``)."""
from __future__ import annotations

import argparse

from .sync_stack import sync_stack


def register(sub: argparse._SubParsersAction) -> None:
    """No commands of its own: ``self-test`` itself is main.py's."""


SELF_TEST = [("sync", sync_stack)]
