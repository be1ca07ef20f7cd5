"""The benchmarks still run: each new one at a tiny size prints its figures and records rows."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

CASES = {
    "bench.ws_echo": (
        ["--connections", "5", "--seconds", "0.5", "--repeats", "1"],
        ["round trips/s:", "round trip p99, ms:"],
    ),
    "bench.heartbeat_load": (
        [
            "--renders",
            "20",
            "--period",
            "1",
            "--window",
            "1.5",
            "--repeats",
            "1",
            "--settle",
            "1",
            "--check",
            "3",
        ],
        ["server CPU, % of one core:", "heartbeats/s received"],
    ),
    "bench.saturation": (
        [
            "--renders",
            "20",
            "--tasks",
            "200",
            "--repeats",
            "1",
            "--server-arg=--journal-backlog=50",
        ],
        ["result→ack p99, s:", "task starts/s:", "server CPU per task, ms:"],
    ),
    "bench.soak": (
        ["--renders", "20", "--monitors", "3", "--minutes", "0.1", "--task-seconds", "0.1-0.3"],
        ["errors:                             0 (", "scheduling (result→next assign)", "RSS"],
    ),
    "bench.store_commits": (
        ["--records", "50", "--sequential", "5", "--repeats", "1", "--postgres", ""],
        ["concurrent (50 results), commits/s:", "per-commit latency p50"],
    ),
    "bench.slowloris": (
        ["--connections", "50", "--open-files", "256", "--seconds", "1"],
        ["health, loaded: p50", "slow connections: ", "server log: "],
    ),
    "bench.metrics_scrape": (
        ["--jobs", "20", "--blocks", "2", "--renders", "10", "--repeats", "1"],
        ["scrape, 20 jobs x 2 blocks x 10 tasks, 10 renders:"],
    ),
    "bench.stats_queries": (
        ["--rows", "2000", "--repeats", "1"],
        ["SQLite: 2,000 rows filled", "SQLite: summed by period", "SQLite: slowest answer of all:"],
    ),
    "bench.stats_writes": (
        ["--runs", "50", "--ticks", "2"],
        ["SQLite, 50 rows a tick, with sums: CPU", "SQLite, 50 rows a tick, rows alone: CPU"],
    ),
    "bench.retention_pass": (
        ["--rows", "5000", "--aged", "1000"],
        ["SQLite, 5,000 runs, row value IN: ", "SQLite, 5,000 runs, keys by index: "],
    ),
    "bench.discovery": (["--repeats", "1"], ["lookup          median", "announced       median"]),
    "bench.resource_sample": (["--samples", "3"], ["ResourceSampler(), ms:", "sample(), ms:"]),
    "bench.parser_throughput": (
        ["--megabytes", "0.5", "--repeats", "1", "--parsers", "generic,arnold"],
        ["generic, MB/s (wall):", "generic, MB/s (CPU):", "arnold, MB/s (CPU):"],
    ),
    "bench.true_tasks": (
        ["--tasks", "40", "--renders", "2", "--repeats", "1"],
        ["protocol floor, 2 renders, tasks/s:", "floor ratio (pool / floor):"],
    ),
}


@pytest.mark.parametrize("module", sorted(CASES))
def test_benchmark_runs_at_tiny_scale(module, tmp_path):
    args, expected = CASES[module]
    rows = tmp_path / "rows.jsonl"
    env = {**os.environ, "CORRAL_BENCH_RESULTS": str(rows)}
    done = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for text in expected:
        assert text in done.stdout, done.stdout
    recorded = [json.loads(line) for line in rows.read_text().splitlines()]
    assert recorded and all(row["benchmark"] and row["unit"] for row in recorded)


def test_report_table():
    from bench.report import markdown, record

    row = record("b", "f", [1.0, 2.0, 3.0], "ms", "< 5 ms", True)
    assert row["value"] == 2.0
    assert "| b | f | 2 (1..3) | ms | < 5 ms | yes |" in markdown([row])


def test_ab_compares_a_revision_with_the_working_tree(tmp_path):
    clone = tmp_path / "clone"  # its worktrees come and go in the clone, not in this repository
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    args = [
        *("HEAD", "--repo", str(clone), "--runs", "2", "--tasks", "20", "--renders", "1"),
        *("--rest", "5"),
    ]
    done = subprocess.run(
        [sys.executable, "-m", "bench.ab", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "HEAD: median" in done.stdout and "working tree: median" in done.stdout
    assert "working tree: REST p50 median" in done.stdout
    order = [
        line.split(",")[1].split(":")[0].strip()
        for line in done.stdout.splitlines()
        if line.startswith("run ") and "tasks/s" in line
    ]
    assert order == ["HEAD", "working tree", "working tree", "HEAD"]
    worktrees = subprocess.run(
        ["git", "-C", str(clone), "worktree", "list"], capture_output=True, text=True, check=True
    ).stdout
    assert "corral-ab-" not in worktrees  # the temporary checkout is gone
