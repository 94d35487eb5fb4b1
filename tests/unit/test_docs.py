"""Documentation is checked: every command is in the README, and CI runs the README's test command."""
from __future__ import annotations

import argparse
import re
from pathlib import Path

import main

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def leaf_commands(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += leaf_commands(sub, prefix + (name,)) or [prefix + (name,)]
    return found


def test_every_command_is_documented():
    commands = leaf_commands(main.build_parser())
    assert ("record", "add") in commands and ("self-test",) in commands
    missing = [" ".join(c) for c in commands if f"python main.py {' '.join(c)}" not in README]
    assert missing == []


def test_readme_opens_with_the_two_commands_and_ci_runs_the_test_one():
    blocks = re.findall(r"```sh\n(.*?)\n```", README, flags=re.S)
    app, tests = blocks[0].strip(), blocks[1].strip()
    assert "main.py" in app and "pytest" in tests
    assert README.index(app) < README.index("## What Fieldbook is")
    assert tests in (ROOT / ".ci" / "run").read_text()


def test_the_checker_notices_an_undocumented_command(monkeypatch):
    # Control: a command missing from the README must be caught.
    parser = main.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    sub.add_parser("frobnicate")
    commands = leaf_commands(parser)
    assert [c for c in commands if f"python main.py {' '.join(c)}" not in README] == [("frobnicate",)]
