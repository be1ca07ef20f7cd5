"""The metrics' names and labels: the one state a render is counted in, every label exported
from the start, and docs/grafana-dashboard.json asking only for metrics the server exports."""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from prometheus_client.parser import text_string_to_metric_families

from app.core.renders import Render
from app.server.metrics import FarmMetrics, render_state

DASHBOARD = Path(__file__).resolve().parents[2] / "docs" / "grafana-dashboard.json"


def exported() -> set[str]:
    """The sample names of an empty farm's /metrics (counters' _total, histograms' _bucket...)."""
    text = FarmMetrics(SimpleNamespace(renders={}, jobs={})).text().decode()
    return {s.name for family in text_string_to_metric_families(text) for s in family.samples}


def test_every_metric_the_dashboard_queries_is_exported():
    dashboard = json.loads(DASHBOARD.read_text())
    queries = [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    asked = {name for expr in queries for name in re.findall(r"\bcorral_\w+", expr)}
    assert asked  # the pattern finds them
    assert asked <= exported(), asked - exported()
    assert {"corral_tasks_finished_total", "corral_renders", "corral_jobs"} <= asked


def test_an_empty_farm_exports_every_label_at_zero():
    text = FarmMetrics(SimpleNamespace(renders={}, jobs={})).text().decode()
    samples = {
        (s.name, tuple(s.labels.values())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    assert samples[("corral_tasks_finished_total", ("lost",))] == 0
    assert samples[("corral_renders", ("NIMBY",))] == 0
    assert samples[("corral_jobs", ("DON",))] == 0
    assert samples[("corral_tasks_running", ())] == 0


@pytest.mark.parametrize(
    ("settings", "state"),
    [
        ({}, "offline"),
        ({"online": True}, "free"),
        ({"online": True, "runs": {(1, 0, 0, 1): 100}}, "busy"),
        ({"online": True, "runs": {(1, 0, 0, 1): 100}, "nimby": "nimby"}, "nimby"),
        ({"online": True, "nimby": "NIMBY", "sick": True}, "NIMBY"),
        ({"online": True, "sick": True}, "sick"),
        ({"online": True, "paused": True, "nimby": "NIMBY"}, "paused"),
        ({"paused": True, "runs": {(1, 0, 0, 1): 100}}, "offline"),
    ],
)
def test_a_render_is_counted_in_the_first_state_that_holds(settings, state):
    assert render_state(Render(1, "r1", **settings)) == state
