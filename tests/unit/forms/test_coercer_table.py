"""No function in forms/ is harder to read than grade C (cyclomatic complexity 20 or less)."""
from __future__ import annotations

from pathlib import Path

from radon.complexity import cc_rank, cc_visit

FORMS = Path(__file__).resolve().parents[3] / "forms"


def test_no_function_in_forms_is_worse_than_grade_c():
    worse = []
    for path in sorted(FORMS.rglob("*.py")):
        for block in cc_visit(path.read_text(encoding="utf-8")):
            if cc_rank(block.complexity) > "C":
                worse.append(f"{path.relative_to(FORMS.parent)}:{block.lineno} {block.name} "
                             f"{cc_rank(block.complexity)} ({block.complexity})")
    assert not worse, "split these functions:\n" + "\n".join(worse)


def test_every_coercer_is_one_entry_of_the_table():
    from forms.coercers import COERCERS
    from forms.model import SUPPORTED_TYPES

    # A table entry for a type the engine does not know would never run.
    assert set(COERCERS) <= SUPPORTED_TYPES
