"""GET /metrics after a real farm run, read with prometheus_client's own parser: the counts
match what ran, and only a person's token or the metrics token opens it."""

from __future__ import annotations

from collections import Counter

import pytest
from prometheus_client.parser import text_string_to_metric_families

from app.server.auth import METRICS_TOKEN_FILE, read_secret
from tests.integration.auth_calls import fetch
from tests.integration.scenarios import SMALL, job, runs, start_farm, tasks
from tests.polling import wait_until


def scrape(farm, token: str) -> dict[tuple[str, tuple], float]:
    status, headers, text = fetch(farm.url, "GET", "/metrics", token)
    assert status == 200, text
    assert headers["Content-Type"].startswith("text/plain; version=0.0.4")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text.decode())
        for sample in family.samples
    }


def run_states(client, *job_ids: int) -> Counter:
    return Counter(
        run["state"]
        for job_id in job_ids
        for task in tasks(client, job_id)
        for run in runs(client, job_id, 0, task["num"])
    )


def test_metrics_count_what_ran(farm):
    start_farm(farm, {"r1": 2})
    good = farm.client.submit(job("good", "true", 5))
    bad = farm.client.submit(
        job("bad", "false", 2, block={"errors_retries": 1, "errors_avoid_host": 0})
    )
    farm.wait_job_done(good)
    wait_until(lambda: farm.client.job(bad)["tasks_error"] == 2)
    ran = run_states(farm.client, good, bad)
    assert ran == {"DON": 5, "ERR": 4}  # each failing task ran twice

    token = read_secret(farm.data / METRICS_TOKEN_FILE)
    samples = wait_until(lambda: _idle(scrape(farm, token)))
    finished = {
        result: samples[("corral_tasks_finished_total", (("result", result),))]
        for result in ("done", "error", "skipped", "stopped", "lost")
    }
    assert finished == {"done": 5, "error": 4, "skipped": 0, "stopped": 0, "lost": 0}
    assert samples[("corral_renders", (("state", "free"),))] == 1
    assert samples[("corral_renders", (("state", "offline"),))] == 0
    assert samples[("corral_jobs", (("state", "DON"),))] == 1
    assert samples[("corral_jobs", (("state", "ERR"),))] == 1
    assert samples[("corral_jobs", (("state", "RUN"),))] == 0
    assert samples[("corral_scheduler_fill_seconds_count", ())] >= 9  # a fill per start at least
    assert samples[("corral_store_commit_seconds_count", ())] >= 1


def _idle(samples: dict) -> dict | None:
    """The samples once the renders hold no runs any more (the last results' slots free)."""
    return samples if samples[("corral_tasks_running", ())] == 0 else None


def test_metrics_while_tasks_run(farm, gates):
    start_farm(farm, {"r1": 2})
    farm.client.submit(job("held", gates.command(), 3, block=SMALL))
    token = read_secret(farm.data / METRICS_TOKEN_FILE)
    samples = wait_until(lambda: _running(scrape(farm, token), 2))
    assert samples[("corral_renders", (("state", "busy"),))] == 1
    assert samples[("corral_jobs", (("state", "RUN"),))] == 1
    assert samples[("corral_jobs", (("state", "RDY"),))] == 1
    gates.open_all()


def test_stopped_runs_are_counted_as_stopped(farm, gates):
    start_farm(farm, {"r1": 2})
    job_id = farm.client.submit(job("stopped", gates.command(), 2, block=SMALL))
    token = read_secret(farm.data / METRICS_TOKEN_FILE)
    wait_until(lambda: _running(scrape(farm, token), 2))
    farm.client.job_action(job_id, "pause")
    farm.client.job_action(job_id, "stop")
    samples = wait_until(lambda: _idle(scrape(farm, token)))
    ran = wait_until(lambda: _ended(run_states(farm.client, job_id)))
    assert ran == {"STOPPED": 2}
    assert samples[("corral_tasks_finished_total", (("result", "stopped"),))] == 2
    assert samples[("corral_tasks_finished_total", (("result", "done"),))] == 0
    assert samples[("corral_jobs", (("state", "OFF"),))] == 1


def _ended(ran: Counter) -> Counter | None:
    """The runs' states once none is running any more."""
    return ran if "RUN" not in ran else None


def _running(samples: dict, count: int) -> dict | None:
    return samples if samples[("corral_tasks_running", ())] == count else None


@pytest.mark.parametrize("who", ["nobody", "wrong", "render"])
def test_metrics_refuse_other_callers(farm, who):
    farm.start_server()
    token = {"nobody": None, "wrong": "crl_not-a-token", "render": farm.farm_secret}[who]
    status, _, text = fetch(farm.url, "GET", "/metrics", token)
    assert status == 401
    assert b"corral_" not in text


def test_the_metrics_token_opens_metrics_alone(farm):
    farm.start_server()
    token = read_secret(farm.data / METRICS_TOKEN_FILE)
    assert token.startswith("crlmetrics_")
    assert fetch(farm.url, "GET", "/api/v1/jobs", token)[0] == 401
    assert fetch(farm.url, "GET", "/metrics", farm.admin_token)[0] == 200  # a person's too
