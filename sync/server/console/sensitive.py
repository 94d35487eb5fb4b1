"""Sensitive answers: questions a form marks ``sensitive`` in its survey sheet (yes/true).

The console shows them masked to everyone. An administrator, or a team lead of the record's
team, may reveal a record's sensitive answers on request (a POST with its CSRF token); each
reveal is audited. A viewer never sees them: not on a page, not through a filter on an
answer's value (which would tell the value by what matches), and not in an export. Exports
leave them out unless an administrator or lead asks for them (audited as such).
"""
from __future__ import annotations

import copy
from typing import Any

from forms.model import Form, Question

from .auth import WebUser

MASK = "••••••"
_pruned: dict[int, tuple[Form, Form]] = {}


def names(form: Form | None) -> frozenset[str]:
    """The names of the answers a form marks sensitive (a group or repeat marks all inside it)."""
    if form is None:
        return frozenset()
    return frozenset(q.name for q in form.walk() if q.is_sensitive)


def may_reveal(user: WebUser, team: str) -> bool:
    """Administrators, and team leads of that team."""
    return user.role == "admin" or (user.role == "lead" and user.may_see(team))


def without(form: Form) -> Form:
    """A copy of the form without its sensitive questions (for an export that leaves them out)."""
    kept = _pruned.get(id(form))
    if kept is not None and kept[0] is form:
        return kept[1]
    pruned = copy.deepcopy(form)

    def prune(node: Question) -> None:
        node.children = [c for c in node.children if not c.sensitive]
        for child in node.children:
            prune(child)

    prune(pruned.root)
    pruned.questions = {n: q for n, q in pruned.questions.items() if not q.is_sensitive}
    _pruned[id(form)] = (form, pruned)
    return pruned


def strip(fields: Any, hidden: frozenset[str]) -> Any:
    """``fields`` without the hidden answers, in repeat entries and groups too."""
    if not hidden or not isinstance(fields, dict):
        return fields
    out = {}
    for name, value in fields.items():
        if name in hidden:
            continue
        if isinstance(value, list):
            value = [strip(v, hidden) if isinstance(v, dict) else v for v in value]
        elif isinstance(value, dict):
            value = strip(value, hidden)
        out[name] = value
    return out
