"""The render's resource sampler, the server's check of what it sends, and the history ring."""

from __future__ import annotations

import asyncio
import json
import math
import sys
import time

import pytest

from app.render.resources import ResourceSampler, gpu_resources, parse_nvidia_smi
from app.server import render_messages as messages
from app.server.resource_history import ResourceHistory

CPU_KEYS = (
    "cpu_user",
    "cpu_nice",
    "cpu_system",
    "cpu_idle",
    "cpu_iowait",
    "cpu_irq",
    "cpu_softirq",
)
KEYS = (
    *CPU_KEYS,
    "cpu_count",
    "cpu_mhz",
    "cpu_loadavg1",
    "cpu_loadavg5",
    "cpu_loadavg15",
    "mem_total_mb",
    "mem_free_mb",
    "mem_available_mb",
    "mem_unused_mb",
    "mem_cached_mb",
    "mem_buffers_mb",
    "swap_total_mb",
    "swap_used_mb",
    "hdd_path",
    "hdd_total_gb",
    "hdd_free_gb",
    "hdd_rd_kbsec",
    "hdd_wr_kbsec",
    "hdd_busy",
    "net_recv_kbsec",
    "net_send_kbsec",
    "logged_in_users",
)

# What `nvidia-smi --query-gpu=index,utilization.gpu,memory.total,memory.used,memory.free,
# temperature.gpu,name --format=csv,noheader,nounits` prints: one line per GPU, the queried
# fields in order separated by ", ", memory in MiB, no header and no units; a field the GPU does
# not support reads "[N/A]" (or "[Not Supported]").
NVIDIA_SMI = (
    "0, 37, 24576, 1210, 23366, 51, NVIDIA GeForce RTX 3090\n"
    "1, [N/A], 16384, 16000, [N/A], [Not Supported], Quadro RTX 5000, rev. B\n"
)


def test_two_samples_are_sane(tmp_path):  # their cost: bench/resource_sample.py
    sampler = ResourceSampler(tmp_path, nvidia_smi=None)
    first = sampler.sample()
    deadline = time.perf_counter() + 0.3
    while time.perf_counter() < deadline:  # some CPU time between the two samples
        sum(range(1000))
    second = sampler.sample()

    for sample in (first, second):
        assert set(KEYS) <= set(sample), set(KEYS) - set(sample)
        assert "gpu" not in sample and "gpu_mem_free_mb" not in sample
        json.dumps(sample, allow_nan=False)  # plain JSON, finite numbers
        assert messages.heartbeat({"resources": sample}) == sample  # the server takes it
        percentages = [sample[key] for key in CPU_KEYS if sample[key] is not None]
        assert all(0 <= value <= 100 for value in percentages), sample
        assert sum(percentages) <= 100.5
        assert sample["cpu_count"] >= 1
        assert 0 < sample["mem_free_mb"] <= sample["mem_total_mb"]
        assert sample["mem_free_mb"] == sample["mem_available_mb"]
        assert 0 <= sample["hdd_free_gb"] <= sample["hdd_total_gb"]
        assert sample["hdd_path"] == str(tmp_path)
        for key in ("hdd_rd_kbsec", "hdd_wr_kbsec", "net_recv_kbsec", "net_send_kbsec"):
            assert sample[key] is None or sample[key] >= 0
        assert sample["hdd_busy"] is None or 0 <= sample["hdd_busy"] <= 100
        assert isinstance(sample["logged_in_users"], list)
    if sys.platform == "linux":
        assert second["cpu_user"] + second["cpu_system"] > 0  # we just spent 0.3 s of CPU
        assert second["cpu_iowait"] is not None and second["hdd_busy"] is not None
        assert sum(second[key] for key in CPU_KEYS) > 90  # the rest is steal time


def test_samples_too_close_repeat_the_last_figures(tmp_path):
    sampler = ResourceSampler(tmp_path, nvidia_smi=None)
    time.sleep(0.2)
    first = sampler.sample()
    second = sampler.sample()  # microseconds later: nothing to measure a rate over
    for key in (*CPU_KEYS, "hdd_rd_kbsec", "net_recv_kbsec"):
        assert second[key] == first[key]


def test_a_missing_disk_path_is_unknown_not_an_error(tmp_path):
    sample = ResourceSampler(tmp_path / "gone", nvidia_smi=None).sample()
    assert sample["hdd_free_gb"] is None and sample["hdd_total_gb"] is None


def test_nvidia_smi_lines_are_parsed():
    gpus = parse_nvidia_smi(NVIDIA_SMI)
    assert gpus == [
        {
            "index": 0,
            "name": "NVIDIA GeForce RTX 3090",
            "util": 37,
            "mem_total_mb": 24576,
            "mem_used_mb": 1210,
            "mem_free_mb": 23366,
            "temp": 51,
        },
        {
            "index": 1,
            "name": "Quadro RTX 5000, rev. B",
            "util": None,
            "mem_total_mb": 16384,
            "mem_used_mb": 16000,
            "mem_free_mb": 384,
            "temp": None,
        },
    ]
    keys = gpu_resources(gpus)
    assert keys["gpu"] == {
        "name": "NVIDIA GeForce RTX 3090",
        "util": 37,
        "mem_total_mb": 24576,
        "mem_used_mb": 1210,
        "mem_free_mb": 23366,
        "temp": 51,
        "count": 2,
    }
    assert keys["gpu_mem_free_mb"] == 23366  # the most any one GPU has free
    assert messages.heartbeat({"resources": keys}) == keys


@pytest.mark.parametrize(
    "text",
    [
        "",
        "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.\n",
        "No devices were found\n",
        "[N/A], 1, 2, 3, 4, 5, name\n",
        "0, 1, [N/A], 3, 4, 5, name\n",  # no total memory: not a usable GPU line
    ],
)
def test_nvidia_smi_noise_gives_no_gpu(text):
    assert parse_nvidia_smi(text) == []
    assert gpu_resources(parse_nvidia_smi(text)) == {}


def test_without_nvidia_smi_there_is_no_gpu_key(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # shutil.which finds nothing here
    sampler = ResourceSampler(tmp_path)
    assert sampler.nvidia_smi is None
    sample = sampler.sample()
    assert "gpu" not in sample and "gpu_mem_free_mb" not in sample


@pytest.mark.skipif(sys.platform == "win32", reason="the stand-in nvidia-smi is a shell script")
async def test_gpu_figures_come_from_a_background_nvidia_smi(tmp_path):
    tool = tmp_path / "nvidia-smi"
    gate = tmp_path / "gate"
    wait = f"n=0; until [ -e {gate} ] || [ $n -ge 500 ]; do sleep 0.02; n=$((n + 1)); done"
    tool.write_text(f"#!/bin/sh\n{wait}\nprintf '{NVIDIA_SMI}'\n")  # at most 10 s
    tool.chmod(0o755)
    sampler = ResourceSampler(tmp_path, nvidia_smi=str(tool))
    first = sampler.sample()  # starts nvidia-smi, does not wait for it: it waits for the gate
    assert "gpu" not in first and not sampler._gpu_task.done()
    gate.touch()
    await asyncio.wait_for(sampler._gpu_task, 10)
    second = sampler.sample()
    assert second["gpu"]["count"] == 2 and second["gpu_mem_free_mb"] == 23366


@pytest.mark.skipif(sys.platform == "win32", reason="the stand-in nvidia-smi is a shell script")
async def test_a_hung_nvidia_smi_is_killed_and_gives_nothing(tmp_path):
    tool = tmp_path / "nvidia-smi"
    tool.write_text("#!/bin/sh\nexec sleep 30\n")
    tool.chmod(0o755)
    sampler = ResourceSampler(tmp_path, nvidia_smi=str(tool), gpu_timeout=0.2)
    start = time.perf_counter()
    await sampler.refresh_gpu()
    assert time.perf_counter() - start < 5
    assert "gpu" not in sampler.sample()


@pytest.mark.parametrize(
    "resources, where",
    [
        ("busy", "resources"),
        ([1, 2], "resources"),
        ({"cpu_user": math.nan}, "resources.cpu_user"),
        ({"cpu_user": math.inf}, "resources.cpu_user"),
        ({"cpu_user": True}, "resources.cpu_user"),
        ({"cpu_user": 2**60}, "resources.cpu_user"),
        ({"x": {"a": 1}}, "resources.x"),
        ({"gpu": {"a": {"b": 1}}}, "resources.gpu.a"),
        ({"gpu": {"a": [1]}}, "resources.gpu.a"),
        ({"custom": {"a": -math.inf}}, "resources.custom.a"),
        ({"logged_in_users": ["a", 1]}, "resources.logged_in_users"),
        ({"mem_free_mb": "lots"}, "resources.mem_free_mb"),  # the scheduler compares it
        ({"hdd_free_gb": ["1"]}, "resources.hdd_free_gb"),
        ({"note": "x" * 17_000}, "resources: 17"),
        ({f"k{i}": i for i in range(5000)}, "resources"),
    ],
)
def test_bad_resources_are_refused(resources, where):
    with pytest.raises(messages.ProtocolError, match=f"^{where}"):
        messages.heartbeat({"type": "heartbeat", "resources": resources})


def test_good_resources_pass():
    assert messages.heartbeat({"type": "heartbeat"}) is None
    assert messages.heartbeat({"type": "heartbeat", "resources": None}) is None
    resources = {
        "cpu_user": 1.5,
        "n": -3,
        "unknown_key": "text",
        "users": ["a", "b"],
        "hdd_busy": None,
        "gpu": {"name": "x", "util": 3, "tags": ["a"]},
        "custom": {"fans": 3},
        "mem_free_mb": 100,
        "hdd_free_gb": 1.5,
    }
    assert messages.heartbeat({"resources": resources}) == resources


def test_history_keeps_an_hour_and_bounded_memory():
    history = ResourceHistory(max_age_s=3600, max_samples=800)
    for i in range(2000):  # almost 3 hours at 5 s
        history.append(1000.0 + 5 * i, {"cpu_idle": i, "users": ["a"]})
    samples = history.since()
    assert samples[-1] == {"time": 1000.0 + 5 * 1999, "cpu_idle": 1999, "users": ["a"]}
    assert samples[-1]["time"] - samples[0]["time"] == 3600  # an hour, not more
    assert len(samples) == len(history) == 721

    fast = ResourceHistory(max_age_s=3600, max_samples=800)
    for i in range(2000):  # a 0.5 s heartbeat: the count bounds it first
        fast.append(1000.0 + 0.5 * i, {"cpu_idle": i})
    assert len(fast) == 800


def test_history_since_and_changing_keys():
    history = ResourceHistory()
    history.append(10.0, {"a": 1, "time": "render's own"})
    history.append(20.0, {"a": 2, "b": {"x": "y"}})
    history.append(30.0, {"a": 3, "b": {"x": "z"}})
    assert [s["time"] for s in history.since()] == [10.0, 20.0, 30.0]
    assert history.since()[0] == {"time": 10.0, "a": 1}
    assert history.since(20.0) == [{"time": 30.0, "a": 3, "b": {"x": "z"}}]
    assert history.since(30.0) == []
    assert [s["a"] for s in history.since(0)] == [1, 2, 3]
