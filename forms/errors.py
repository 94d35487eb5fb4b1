"""Typed errors of the form engine. Messages name sheet, row and column, never an answer's value."""
from __future__ import annotations

from dataclasses import dataclass


class FormError(Exception):
    """Base class: ``str(error)`` is a complete sentence that is safe to show."""


@dataclass(frozen=True)
class Issue:
    """One problem in a form definition, located the way a form designer looks for it."""

    sheet: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = f"[{self.sheet}"
        if self.row is not None:
            where += f" row {self.row}"
        if self.column:
            where += f", column '{self.column}'"
        return f"{where}] {self.message}"


class MalformedForm(FormError):
    """The XLSForm cannot be used; ``issues`` lists every problem found, not only the first."""

    def __init__(self, path: str, issues: list[Issue]) -> None:
        self.path = path
        self.issues = issues
        lines = "\n".join(f"  {i}" for i in issues)
        super().__init__(f"{path} has {len(issues)} problem(s):\n{lines}")


class UnreadableForm(FormError):
    """Not an .xlsx file, or damaged."""


class UnknownQuestion(FormError):
    """An answer names a question the form does not have."""


class UnknownForm(FormError):
    """No form with the given id."""


class ExportError(FormError):
    """An export could not be written; nothing partial was left behind."""
