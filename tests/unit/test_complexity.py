"""No function in storage/, sync/, forms/ or rules/ is harder to read than grade C
(cyclomatic complexity 20 or less): split a function that grows past it into named steps."""
from __future__ import annotations

from pathlib import Path

import pytest
from radon.complexity import cc_rank, cc_visit

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("storage", "sync", "forms", "rules")


def _worse_than_c(source: str) -> list[str]:
    return [f"{block.lineno} {block.name} {cc_rank(block.complexity)} ({block.complexity})"
            for block in cc_visit(source) if cc_rank(block.complexity) > "C"]


@pytest.mark.parametrize("package", PACKAGES)
def test_no_function_is_worse_than_grade_c(package):
    worse = [f"{path.relative_to(ROOT)}:{found}"
             for path in sorted((ROOT / package).rglob("*.py"))
             for found in _worse_than_c(path.read_text(encoding="utf-8"))]
    assert not worse, "split these functions:\n" + "\n".join(worse)


def test_the_check_sees_a_function_worse_than_grade_c():
    # 21 branches: grade D. The check above would miss nothing only if this is caught.
    body = "\n".join(f"    if x == {i}:\n        return {i}" for i in range(21))
    assert _worse_than_c(f"def f(x):\n{body}\n    return -1\n") == ["1 f D (22)"]
