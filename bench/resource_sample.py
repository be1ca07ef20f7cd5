"""What a render's resource sample costs: making a ResourceSampler and each sample() (CPU,
memory, disk, network, users), the work every heartbeat does on the render's event loop.
nvidia-smi is left out (it runs in the background, never on the heartbeat's path).
Target: < 100 ms each (the render stays responsive at any heartbeat period).

    python -m bench.resource_sample [--samples 50]
"""

from __future__ import annotations

import argparse
import tempfile
import time

from app.render.resources import ResourceSampler
from bench.report import machine, record, spread

TARGET_MS = 100.0


def timed_ms(function, *args, **kwargs) -> tuple[object, float]:
    start = time.perf_counter()
    value = function(*args, **kwargs)
    return value, (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=50)
    parser.add_argument("--every", type=float, default=0.1, help="seconds between samples")
    args = parser.parse_args()
    print(machine())
    with tempfile.TemporaryDirectory(prefix="corral-bench-") as folder:
        sampler, made = timed_ms(ResourceSampler, folder, nvidia_smi=None)
        taken = []
        for _ in range(args.samples):
            time.sleep(args.every)  # apart enough for rates to be measured
            taken.append(timed_ms(sampler.sample)[1])
    print(f"ResourceSampler(), ms: {made:.3g}")
    print(f"sample(), ms: {spread(taken)}")
    target = f"< {TARGET_MS:.0f} ms"
    record("resource_sample", "making the sampler", made, "ms", target, made < TARGET_MS)
    record("resource_sample", "one sample", taken, "ms", target, max(taken) < TARGET_MS)


if __name__ == "__main__":
    main()
