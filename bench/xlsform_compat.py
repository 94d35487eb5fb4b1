"""Run ``forms check`` over public XLSForm corpora and tally what passes and why the rest don't.

The corpora are git mirrors of public repositories (listed in SOURCES; fetch them first and
pass their parent folder with --mirrors). The workbooks are read straight from git, into a
temporary folder with the CSV files that sit beside them, and are never copied into this
repository. For each workbook the reference converter's verdict is taken too, so the table
can say how many forms the reference accepts that Fieldbook refuses.

    python bench/xlsform_compat.py --mirrors /work/.mirror [--json OUT.json]
"""
from __future__ import annotations

import argparse
import collections
import json
import re
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from forms.errors import FormError, MalformedForm  # noqa: E402
from forms.loader import load_form  # noqa: E402

# repository (owner/name): what it is
SOURCES = {
    "XLSForm/pyxform": "the reference converter's test workbooks",
    "XLSForm/xlsform.github.io": "XLSForm templates and documentation samples",
    "getodk/xlsform-offline": "ODK's offline converter and its sample forms",
    "hotosm/osm-fieldwork": "humanitarian field-mapping forms (HOT)",
    "chrissyhroberts/XLSFormLab": "field research forms and XLSForm examples",
    "kobotoolbox/kobocat": "Kobo's form server: its test and tutorial workbooks",
    "kobotoolbox/kpi": "Kobo's form builder and server: its test workbooks",
    "onaio/onadata": "Ona's form server: its test and fixture workbooks",
    "medic/cht-core": "a community health app: its test and sample forms",
}


def _workbooks(repo: Path) -> list[str]:
    out = subprocess.run(["git", "--git-dir", str(repo), "ls-tree", "-r", "--name-only", "HEAD"],
                         check=True, capture_output=True, text=True).stdout.splitlines()
    return [p for p in out if p.lower().endswith((".xlsx", ".xls")) and "~$" not in p], out


def _extract(repo: Path, path: str, siblings: list[str], into: Path) -> Path:
    folder = path.rsplit("/", 1)[0] if "/" in path else ""
    for other in [path] + [s for s in siblings if s.lower().endswith(".csv")
                           and (s.rsplit("/", 1)[0] if "/" in s else "") == folder]:
        data = subprocess.run(["git", "--git-dir", str(repo), "show", f"HEAD:{other}"],
                              check=True, capture_output=True).stdout
        (into / other.rsplit("/", 1)[-1]).write_bytes(data)
    return into / path.rsplit("/", 1)[-1]


def _reason(message: str) -> str:
    """A short category for a refusal, for the table."""
    m = re.search(r"of type '([^']*)' cannot run", message)
    if m:
        return f"cannot run: {m.group(1).split()[0]}"
    m = re.search(r"question type '([^']*)'", message)
    if m:
        return f"type: {m.group(1).split()[0]}"
    m = re.search(r"unknown function '([^']*)'", message)
    if m:
        return f"function: {m.group(1)}"
    for pattern, label in ((r"appears twice in list", "duplicate choice names"),
                           (r"needs a name", "row without a name"),
                           (r"is not on the choices sheet", "missing choice list"),
                           (r"does not parse", "expression does not parse"),
                           (r"refers to a question that does not exist", "unknown reference"),
                           (r"file .* is missing", "missing choices or CSV file"),
                           (r"reads .*\.csv, which is missing", "missing choices or CSV file"),
                           (r"is not GeoJSON|cannot be read", "unreadable choices or CSV file"),
                           (r"is already used on row", "same name twice in one group"),
                           (r"is ambiguous", "ambiguous reference to a repeated name"),
                           (r"reaches no question|goes above the form", "a path that reaches no question"),
                           (r"cannot depend on its own questions", "a group shown by an answer inside it"),
                           (r"in a circle", "questions that depend on each other in a circle")):
        if re.search(pattern, message):
            return label
    return "other: " + message[:60]


def _reference_accepts(path: Path) -> bool:
    from pyxform.xls2xform import convert
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            convert(xlsform=str(path), validate=False, pretty_print=False)
        return True
    except Exception:  # any refusal of the reference converter counts as a refusal
        return False


def check(mirrors: Path) -> list[dict]:
    results = []
    for repo_name in SOURCES:
        repo = mirrors / repo_name.replace("/", "+") / "repo"
        if not repo.exists():
            print(f"skipped {repo_name}: not fetched", file=sys.stderr)
            continue
        books, tree = _workbooks(repo)
        for path in books:
            with tempfile.TemporaryDirectory() as tmp:
                local = _extract(repo, path, tree, Path(tmp))
                reference = _reference_accepts(local)
                try:
                    load_form(local)
                    verdict, reasons = "ok", []
                except MalformedForm as exc:
                    verdict = "refused"
                    reasons = sorted({_reason(i.message) for i in exc.issues})
                except FormError as exc:
                    verdict, reasons = "unreadable", [str(exc)[:60]]
                except Exception as exc:  # a crash is a finding too; keep going
                    verdict, reasons = "crash", [f"{type(exc).__name__}: {exc}"[:80]]
            results.append({"repo": repo_name, "path": path, "fieldbook": verdict,
                            "reference": reference, "reasons": reasons})
    return results


def summarise(results: list[dict]) -> str:
    lines = ["| Source | Workbooks | Reference accepts | Fieldbook accepts | Both accept |", "|---|---|---|---|---|"]
    for repo in SOURCES:
        rows = [r for r in results if r["repo"] == repo]
        if rows:
            lines.append(f"| {repo} | {len(rows)} | {sum(r['reference'] for r in rows)} | "
                         f"{sum(r['fieldbook'] == 'ok' for r in rows)} | "
                         f"{sum(r['reference'] and r['fieldbook'] == 'ok' for r in rows)} |")
    reasons = collections.Counter(reason for r in results if r["reference"] and r["fieldbook"] != "ok"
                                  for reason in r["reasons"])
    lines += ["", "Why Fieldbook refuses forms the reference accepts (forms per reason):", ""]
    lines += [f"- {reason}: {count}" for reason, count in reasons.most_common()]
    return "\n".join(lines)


def main() -> int:
    warnings.simplefilter("ignore")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirrors", type=Path, required=True, help="folder holding owner+name/repo git mirrors")
    parser.add_argument("--json", type=Path, help="write every verdict here")
    args = parser.parse_args()
    results = check(args.mirrors)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")
    print(summarise(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
