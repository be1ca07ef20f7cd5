"""How well the parsers read real renderer output: the corpus of tests/fixtures/parser_corpus/.

Every log goes through the parser of its service whole, in 7-character chunks and line by
line; a check counts as right only when all three ways agree with what the index wrote down
by hand. The checks: ``outcome`` (failed when the parser found an error, a fatal error or a bad
result), ``frame`` (the last frame the output named, absolute), ``percent`` (the last percent,
within 1), ``errors`` (every error the parser kept holds one of the texts written down for the
log's error lines, and a log with error lines has at least one kept: the first error is what
stops the task) and ``files`` (the output files, as a set).

Beside Corral's parsers, a naive regex reader: any line with "error" is an error, the last
"NN%" is the percent, the last "frame N" the frame. ``python -m bench.parser_accuracy`` prints
both tables; ``--write-baseline`` rewrites the list of logs Corral reads right in every check
(``baseline.txt``, which tests/unit/test_parser_corpus.py holds it to).
"""

from __future__ import annotations

import argparse
import json
import re
from dataclasses import dataclass
from pathlib import Path

from app.parsers import get_parser
from app.services.registry import get_service

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "parser_corpus"
BASELINE = CORPUS / "baseline.txt"
CHECKS = ("outcome", "frame", "percent", "errors", "files")
WAYS = ("whole", "chunks", "lines")


@dataclass(frozen=True)
class Reading:
    """What a reader made of one log."""

    outcome: str  # "ok" or "failed"
    frame: int | None  # absolute frame number
    percent: int | None
    errors: tuple[str, ...]
    files: frozenset[str]


def cases() -> list[dict]:
    """The corpus index: one entry per log."""
    return json.loads((CORPUS / "index.json").read_text(encoding="utf-8"))


def log_text(case: dict) -> str:
    """The log as the program wrote it (carriage returns kept)."""
    with open(CORPUS / case["log"], encoding="utf-8", newline="") as file:
        return file.read()


def _pieces(text: str, way: str) -> list[str]:
    if way == "whole":
        return [text]
    if way == "lines":
        return text.splitlines(keepends=True)
    return [text[i : i + 7] for i in range(0, len(text), 7)]


def corral_reading(case: dict, way: str) -> Reading:
    """Corral's reading: the parser the case's service chooses."""
    start, end = case.get("frame_start", 1), case.get("frame_end", 1)
    inc = case.get("frames_inc", 1)
    parser = get_parser(get_service(case["service"]).parser)(start, end, inc)
    for piece in _pieces(log_text(case), way):
        parser.feed(piece)
    parser.finish()
    failed = bool(parser.errors) or parser.fatal or parser.bad_result
    return Reading(
        "failed" if failed else "ok",
        None if parser.frame is None else start + parser.frame * inc,
        parser.percent,
        tuple(parser.errors),
        frozenset(parser.files),
    )


_NAIVE_ERROR = re.compile(r"error", re.IGNORECASE)
_NAIVE_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*%")
_NAIVE_FRAME = re.compile(r"frame\D{0,3}(-?\d+)", re.IGNORECASE)


def naive_reading(case: dict, way: str) -> Reading:
    """The naive regex reader (the way the text arrives does not matter to it)."""
    errors, percent, frame = [], None, None
    for line in log_text(case).splitlines():
        if _NAIVE_ERROR.search(line):
            errors.append(line.strip())
        if found := _NAIVE_PERCENT.findall(line):
            percent = min(100, int(float(found[-1])))
        if found := _NAIVE_FRAME.findall(line):
            frame = int(found[-1])
    return Reading("failed" if errors else "ok", frame, percent, tuple(errors), frozenset())


def judge(case: dict, reading: Reading) -> dict[str, bool]:
    """Each check: right or wrong."""
    expect = case["expect"]
    wanted, found = expect["errors"], reading.errors
    percent = expect["percent"]
    return {
        "outcome": reading.outcome == expect["outcome"],
        "frame": reading.frame == expect["frame"],
        "percent": percent == reading.percent
        or (None not in (percent, reading.percent) and abs(percent - reading.percent) <= 1),
        "errors": all(any(w in line for w in wanted) for line in found)
        and bool(found) == bool(wanted),
        "files": reading.files == frozenset(expect["files"]),
    }


def score(reader) -> dict[str, dict[str, bool]]:
    """Per log, per check: right in every way the output can arrive."""
    results = {}
    for case in cases():
        verdicts = [judge(case, reader(case, way)) for way in WAYS]
        results[case["log"]] = {check: all(v[check] for v in verdicts) for check in CHECKS}
    return results


def accuracy(results: dict[str, dict[str, bool]]) -> dict[str, float]:
    """The share of right answers per check and ``overall`` (all checks of all logs)."""
    table = {check: sum(r[check] for r in results.values()) / len(results) for check in CHECKS}
    table["overall"] = sum(table[check] for check in CHECKS) / len(CHECKS)
    return table


def passing(results: dict[str, dict[str, bool]]) -> list[str]:
    """The logs read right in every check."""
    return sorted(log for log, checks in results.items() if all(checks.values()))


def baseline() -> set[str]:
    """The logs that passed when the baseline was last written."""
    return set(BASELINE.read_text(encoding="utf-8").split())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write-baseline", action="store_true", help="rewrite baseline.txt")
    args = parser.parse_args()
    results = score(corral_reading)
    corral, naive = accuracy(results), accuracy(score(naive_reading))
    print(f"{len(results)} logs, {len(passing(results))} read right in every check")
    print(f"{'check':<10}{'corral':>8}{'naive':>8}")
    for check in (*CHECKS, "overall"):
        print(f"{check:<10}{corral[check]:>8.3f}{naive[check]:>8.3f}")
    if args.write_baseline:
        BASELINE.write_text("\n".join(passing(results)) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
