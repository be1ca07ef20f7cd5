"""Failed-auth throttling: per address, per window, bounded memory."""

import pytest

from app.server.auth import FailureThrottle, client_key


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


def test_refused_after_the_limit_until_the_window_passes(clock):
    throttle = FailureThrottle(limit=10, window=60.0, clock=clock)
    for _ in range(9):
        throttle.failed("10.0.0.5")
        assert throttle.refusal("10.0.0.5") == 0.0
    clock.now += 30
    throttle.failed("10.0.0.5")
    assert throttle.refusal("10.0.0.5") == pytest.approx(30.0)
    assert throttle.refusal("10.0.0.6") == 0.0  # another address is not affected
    clock.now += 29.5
    assert throttle.refusal("10.0.0.5") == pytest.approx(0.5)
    clock.now += 0.5
    assert throttle.refusal("10.0.0.5") == 0.0
    throttle.failed("10.0.0.5")  # a new window starts from one failure
    assert throttle.refusal("10.0.0.5") == 0.0


def test_failures_spread_over_windows_never_lock_out(clock):
    throttle = FailureThrottle(limit=3, window=10.0, clock=clock)
    for _ in range(20):
        throttle.failed("10.0.0.5")
        throttle.failed("10.0.0.5")
        assert throttle.refusal("10.0.0.5") == 0.0
        clock.now += 10.0


def test_ended_windows_are_forgotten(clock):
    throttle = FailureThrottle(limit=3, window=10.0, clock=clock)
    for n in range(100):
        throttle.failed(f"10.0.{n // 256}.{n % 256}")
    assert len(throttle) == 100
    clock.now += 10.0
    throttle.failed("10.1.0.1")
    assert len(throttle) == 1


def test_memory_is_bounded_by_dropping_the_oldest_windows(clock):
    throttle = FailureThrottle(limit=2, window=60.0, max_addresses=50, clock=clock)
    throttle.failed("10.9.9.9")
    throttle.failed("10.9.9.9")
    assert throttle.refusal("10.9.9.9") > 0
    for n in range(1000):
        clock.now += 0.01
        throttle.failed(f"10.0.{n // 256}.{n % 256}")
        assert len(throttle) <= 50
    assert throttle.refusal("10.9.9.9") == 0.0  # the oldest was dropped first
    throttle.failed("10.0.3.231")  # the newest is still counted
    assert throttle.refusal("10.0.3.231") > 0


def test_ipv6_counts_per_64_and_mapped_ipv4_as_ipv4(clock):
    assert client_key("2001:db8:1:2:aaaa::1") == client_key("2001:db8:1:2:ffff::9")
    assert client_key("2001:db8:1:2::1") == "2001:db8:1:2::/64"
    assert client_key("2001:db8:1:3::1") != client_key("2001:db8:1:2::1")
    assert client_key("::ffff:10.0.0.5") == "10.0.0.5"
    assert client_key("fe80::1%eth0") == "fe80::/64"
    assert client_key("10.0.0.5") == "10.0.0.5"
    assert client_key("not:an:address") == "not:an:address"
    throttle = FailureThrottle(limit=2, window=60.0, clock=clock)
    throttle.failed("2001:db8::1")
    throttle.failed("2001:db8::2")
    assert throttle.refusal("2001:db8::3") > 0
    throttle.failed("::ffff:10.0.0.7")
    throttle.failed("10.0.0.7")
    assert throttle.refusal("10.0.0.7") > 0
