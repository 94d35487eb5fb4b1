"""No function in distributions/ is harder to read than grade C (cyclomatic complexity 20 or less)."""
from __future__ import annotations

from pathlib import Path

from radon.complexity import cc_rank, cc_visit

DISTRIBUTIONS = Path(__file__).resolve().parents[2] / "distributions"


def test_no_function_in_distributions_is_worse_than_grade_c():
    assert DISTRIBUTIONS.is_dir()
    worse = []
    for path in sorted(DISTRIBUTIONS.rglob("*.py")):
        for block in cc_visit(path.read_text(encoding="utf-8")):
            if cc_rank(block.complexity) > "C":
                worse.append(f"{path.relative_to(DISTRIBUTIONS.parent)}:{block.lineno} {block.name} "
                             f"{cc_rank(block.complexity)} ({block.complexity})")
    assert not worse, "split these functions:\n" + "\n".join(worse)
