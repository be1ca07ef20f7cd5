"""Tickets: pool counts, max_hosts, host limits, the ledger (app.core.tickets)."""

import random

import pytest

from app.core.pools import PoolTree, ancestor_paths
from app.core.tickets import TicketLedger

NUKE = {"NUKE": 1}


def tree_of(pools: dict) -> PoolTree:
    return PoolTree.from_dict({"pools": pools})


def start(ledger: TicketLedger, tree: PoolTree, tickets: dict, render: str, pool: str) -> None:
    """Start a task the way the scheduler does: ask first, then acquire."""
    assert ledger.blocked(tickets, render, pool, tree) is None
    ledger.acquire(tickets, render, pool)


# ------------------------------------------------------------------------------ no limits


def test_no_tickets_or_no_limits_never_block():
    tree = tree_of({"/a/": {}})
    ledger = TicketLedger()
    assert ledger.blocked({}, "r1", "/a/", tree) is None
    for _ in range(100):
        start(ledger, tree, {"ANY": 5}, "r1", "/a/")
    assert ledger.in_use("/", "ANY") == (500, 1)
    assert ledger.blocked({"ANY": 0}, "r1", "/a/", tree) is None


# ------------------------------------------------------------------------------ pool count


def test_pool_count_at_root_limits_the_whole_farm():
    tree = tree_of({"/": {"tickets_pool": {"NUKE": {"count": 3}}}, "/a/": {}, "/b/": {}})
    ledger = TicketLedger()
    start(ledger, tree, NUKE, "r1", "/a/")
    start(ledger, tree, NUKE, "r2", "/b/")
    start(ledger, tree, NUKE, "r3", "/")
    reason = ledger.blocked(NUKE, "r4", "/b/", tree)
    assert reason == "ticket NUKE: pool /: 3 of 3 in use"
    assert ledger.blocked(NUKE, "r1", "/a/", tree) is not None  # the same host too
    ledger.release(NUKE, "r2", "/b/")
    assert ledger.blocked(NUKE, "r4", "/b/", tree) is None


def test_pool_count_need_larger_than_one():
    tree = tree_of({"/": {"tickets_pool": {"NUKE": 10}}})
    ledger = TicketLedger()
    start(ledger, tree, {"NUKE": 8}, "r1", "/")
    assert ledger.blocked({"NUKE": 2}, "r2", "/", tree) is None
    assert (
        ledger.blocked({"NUKE": 3}, "r2", "/", tree)
        == "ticket NUKE: pool /: 8 of 10 in use, 3 needed"
    )
    assert ledger.blocked({"NUKE": 11}, "r9", "/", tree) is not None  # never fits


def test_pool_count_in_a_subtree_only_counts_that_subtree():
    tree = tree_of(
        {"/gpu/": {"tickets_pool": {"NUKE": {"count": 2}}}, "/gpu/big/": {}, "/cpu/": {}}
    )
    ledger = TicketLedger()
    start(ledger, tree, NUKE, "g1", "/gpu/")
    start(ledger, tree, NUKE, "b1", "/gpu/big/")
    assert ledger.blocked(NUKE, "g2", "/gpu/", tree) == "ticket NUKE: pool /gpu/: 2 of 2 in use"
    assert ledger.blocked(NUKE, "b2", "/gpu/big/", tree) == "ticket NUKE: pool /gpu/: 2 of 2 in use"
    for i in range(10):  # outside the subtree: unlimited
        start(ledger, tree, NUKE, f"c{i}", "/cpu/")
    assert ledger.in_use("/", "NUKE") == (12, 12)
    assert ledger.in_use("/gpu/", "NUKE") == (2, 2)
    assert ledger.in_use("/gpu/big/", "NUKE") == (1, 1)


def test_every_pool_of_the_chain_is_checked():
    tree = tree_of(
        {
            "/": {"tickets_pool": {"NUKE": 3}},
            "/a/": {"tickets_pool": {"NUKE": 5}},  # looser than the root: the root still limits
            "/b/": {},
        }
    )
    ledger = TicketLedger()
    start(ledger, tree, NUKE, "b1", "/b/")
    start(ledger, tree, NUKE, "b2", "/b/")
    start(ledger, tree, NUKE, "a1", "/a/")
    assert ledger.blocked(NUKE, "a2", "/a/", tree) == "ticket NUKE: pool /: 3 of 3 in use"


def test_count_minus_one_is_unlimited():
    tree = tree_of({"/": {"tickets_pool": {"NUKE": {"count": -1, "max_hosts": -1}}}})
    ledger = TicketLedger()
    for i in range(50):
        start(ledger, tree, NUKE, f"r{i}", "/")


# ------------------------------------------------------------------------------ max_hosts


def test_max_hosts_limits_distinct_hosts():
    tree = tree_of({"/": {"tickets_pool": {"NUKE": {"count": -1, "max_hosts": 2}}}})
    ledger = TicketLedger()
    start(ledger, tree, NUKE, "r1", "/")
    start(ledger, tree, NUKE, "r2", "/")
    reason = ledger.blocked(NUKE, "r3", "/", tree)
    assert reason == "ticket NUKE: pool /: 2 hosts already use it (max_hosts 2)"
    # A host already using the ticket may take more.
    start(ledger, tree, NUKE, "r1", "/")
    start(ledger, tree, {"NUKE": 4}, "r2", "/")
    assert ledger.in_use("/", "NUKE") == (7, 2)
    # A host frees a slot only when it holds none any more.
    ledger.release(NUKE, "r1", "/")
    assert ledger.blocked(NUKE, "r3", "/", tree) is not None
    ledger.release(NUKE, "r1", "/")
    assert ledger.blocked(NUKE, "r3", "/", tree) is None


def test_max_hosts_singular_message_and_zero():
    tree = tree_of(
        {
            "/a/": {"tickets_pool": {"NUKE": {"max_hosts": 1}}},
            "/z/": {"tickets_pool": {"NUKE": {"max_hosts": 0}}},
        }
    )
    ledger = TicketLedger()
    start(ledger, tree, NUKE, "r1", "/a/")
    assert ledger.blocked(NUKE, "r2", "/a/", tree) == (
        "ticket NUKE: pool /a/: 1 host already uses it (max_hosts 1)"
    )
    assert ledger.blocked(NUKE, "z1", "/z/", tree) is not None


def test_max_hosts_counts_hosts_of_the_subtree():
    tree = tree_of({"/a/": {"tickets_pool": {"NUKE": {"count": 10, "max_hosts": 1}}}, "/b/": {}})
    ledger = TicketLedger()
    start(ledger, tree, NUKE, "b1", "/b/")  # outside /a/: does not count there
    start(ledger, tree, NUKE, "a1", "/a/")
    assert ledger.blocked(NUKE, "a2", "/a/", tree) is not None
    assert ledger.blocked(NUKE, "b2", "/b/", tree) is None


# ------------------------------------------------------------------------------ host tickets


def test_host_limit():
    tree = tree_of({"/": {"tickets_host": {"NUKE": 1}}})
    ledger = TicketLedger()
    start(ledger, tree, NUKE, "r01", "/")
    assert ledger.blocked(NUKE, "r01", "/", tree) == "ticket NUKE: host limit 1 on r01 (1 in use)"
    assert ledger.blocked(NUKE, "r02", "/", tree) is None
    assert ledger.blocked({"NUKE": 2}, "r02", "/", tree) == (
        "ticket NUKE: host limit 1 on r02 (0 in use, 2 needed)"
    )


def test_host_limit_from_the_nearest_pool_and_inherit():
    tree = tree_of(
        {
            "/": {"tickets_host": {"NUKE": 1}},
            "/big/": {"tickets_host": {"NUKE": 3}},
            "/big/inherit/": {"tickets_host": {"NUKE": -1}},
            "/none/": {"tickets_host": {"NUKE": 0}},
        }
    )
    ledger = TicketLedger()
    for _ in range(3):
        start(ledger, tree, NUKE, "big1", "/big/")
    assert ledger.blocked(NUKE, "big1", "/big/", tree) is not None
    for _ in range(3):
        start(ledger, tree, NUKE, "inh1", "/big/inherit/")
    assert ledger.blocked(NUKE, "inh1", "/big/inherit/", tree) is not None
    assert (
        ledger.blocked(NUKE, "n1", "/none/", tree) == "ticket NUKE: host limit 0 on n1 (0 in use)"
    )


def test_host_and_pool_limits_together():
    tree = tree_of({"/": {"tickets_pool": {"NUKE": 3}, "tickets_host": {"NUKE": 2}}})
    ledger = TicketLedger()
    start(ledger, tree, NUKE, "r1", "/")
    start(ledger, tree, NUKE, "r1", "/")
    assert "host limit" in ledger.blocked(NUKE, "r1", "/", tree)
    start(ledger, tree, NUKE, "r2", "/")
    assert "pool /" in ledger.blocked(NUKE, "r3", "/", tree)


def test_several_tickets_in_one_block():
    tree = tree_of({"/": {"tickets_pool": {"NUKE": 2, "OCIO": 1}}})
    ledger = TicketLedger()
    start(ledger, tree, {"NUKE": 1, "OCIO": 1}, "r1", "/")
    assert "OCIO" in ledger.blocked({"NUKE": 1, "OCIO": 1}, "r2", "/", tree)
    assert ledger.blocked({"NUKE": 1}, "r2", "/", tree) is None


def test_lowered_limit_blocks_new_starts_but_keeps_running_ones():
    tree = tree_of({"/": {"tickets_pool": {"NUKE": 5}}})
    ledger = TicketLedger()
    for i in range(4):
        start(ledger, tree, NUKE, f"r{i}", "/")
    tree.edit("/", {"tickets_pool": {"NUKE": 2}})
    assert ledger.blocked(NUKE, "r9", "/", tree) == "ticket NUKE: pool /: 4 of 2 in use"
    ledger.acquire(NUKE, "r9", "/")  # adopted after a restart: counted even beyond the limit
    assert ledger.in_use("/", "NUKE") == (5, 5)


# ------------------------------------------------------------------------------ acquire / release


def test_acquire_release_symmetry_leaves_nothing():
    tree = tree_of({"/a/": {}, "/a/b/": {}})
    ledger = TicketLedger()
    runs = [({"NUKE": 2, "X": 1}, "r1", "/a/b/"), (NUKE, "r1", "/a/b/"), ({"X": 3}, "r2", "/a/")]
    for tickets, render, pool in runs:
        start(ledger, tree, tickets, render, pool)
    assert ledger.usage() == {
        "/": {"NUKE": {"count": 3, "hosts": ["r1"]}, "X": {"count": 4, "hosts": ["r1", "r2"]}},
        "/a/": {"NUKE": {"count": 3, "hosts": ["r1"]}, "X": {"count": 4, "hosts": ["r1", "r2"]}},
        "/a/b/": {"NUKE": {"count": 3, "hosts": ["r1"]}, "X": {"count": 1, "hosts": ["r1"]}},
    }
    assert ledger.host_usage("r1") == {"NUKE": 3, "X": 1}
    for tickets, render, pool in reversed(runs):
        assert ledger.release(tickets, render, pool)
    assert ledger.usage() == {}
    assert ledger.host_usage("r1") == {}
    assert ledger.in_use("/", "NUKE") == (0, 0)


def test_release_never_goes_negative():
    tree = tree_of({"/": {"tickets_pool": {"NUKE": 2}}})
    ledger = TicketLedger()
    start(ledger, tree, NUKE, "r1", "/")
    assert ledger.release(NUKE, "r1", "/")
    assert not ledger.release(NUKE, "r1", "/")  # a second release: nothing held
    assert not ledger.release(NUKE, "r2", "/")  # never acquired
    assert not ledger.release({"NUKE": 3}, "r1", "/")
    assert ledger.usage() == {}
    start(ledger, tree, NUKE, "r1", "/")
    start(ledger, tree, NUKE, "r2", "/")
    assert ledger.blocked(NUKE, "r3", "/", tree) is not None  # the double release did not leak


def test_release_only_what_was_held_under_that_pool():
    tree = tree_of({"/a/": {}, "/b/": {}})
    ledger = TicketLedger()
    start(ledger, tree, {"NUKE": 2}, "r1", "/a/")
    assert not ledger.release({"NUKE": 2}, "r1", "/b/")  # wrong pool: nothing released
    assert ledger.in_use("/a/", "NUKE") == (2, 1)
    assert not ledger.release({"NUKE": 5}, "r1", "/a/")  # more than held: releases the 2
    assert ledger.usage() == {}


def test_release_of_zero_needs_and_empty():
    ledger = TicketLedger()
    assert ledger.release({}, "r1", "/")
    assert ledger.release({"NUKE": 0}, "r1", "/")


def test_unnormalized_pool_paths_are_accepted():
    tree = tree_of({"/a/": {"tickets_pool": {"NUKE": 1}}})
    ledger = TicketLedger()
    ledger.acquire(NUKE, "r1", "/a")
    assert ledger.in_use("a", "NUKE") == (1, 1)
    assert ledger.blocked(NUKE, "r2", "/a", tree) is not None
    assert ledger.release(NUKE, "r1", "a/")
    assert ledger.usage() == {}


# ------------------------------------------------------------------------------ randomized


POOLS = {
    "/": {"tickets_pool": {"NUKE": {"count": 7, "max_hosts": 5}}, "tickets_host": {"NUKE": 2}},
    "/a/": {"tickets_pool": {"NUKE": {"count": 3, "max_hosts": 2}, "HOU": 2}},
    "/a/b/": {"tickets_host": {"NUKE": 1, "HOU": 1}},
    "/c/": {"tickets_pool": {"HOU": {"count": -1, "max_hosts": 1}}, "tickets_host": {"NUKE": -1}},
    "/c/d/": {"tickets_host": {"NUKE": 3}},
}
RENDERS = {
    f"r{i}": pool
    for i, pool in enumerate(
        ["/", "/a/", "/a/", "/a/b/", "/a/b/", "/c/", "/c/", "/c/d/", "/c/d/", "/"]
    )
}


def violations(tree: PoolTree, runs: list) -> list[str]:
    """Every limit exceeded by these runs, computed from scratch."""
    out = []
    pool_count: dict = {}
    pool_hosts: dict = {}
    host_count: dict = {}
    for tickets, render, pool in runs:
        for name, need in tickets.items():
            if need <= 0:  # a need of 0 uses nothing
                continue
            host_count[render, name] = host_count.get((render, name), 0) + need
            for path in ancestor_paths(pool):
                pool_count[path, name] = pool_count.get((path, name), 0) + need
                pool_hosts.setdefault((path, name), set()).add(render)
    for path in tree.paths():
        for name, ticket in tree.get(path).tickets_pool.items():
            if 0 <= ticket.count < pool_count.get((path, name), 0):
                out.append(f"count {path} {name}")
            if 0 <= ticket.max_hosts < len(pool_hosts.get((path, name), ())):
                out.append(f"hosts {path} {name}")
    for (render, name), used in host_count.items():
        limit = tree.effective(RENDERS[render]).tickets_host.get(name)
        if limit is not None and used > limit:
            out.append(f"host {render} {name}")
    return out


def expected_usage(runs: list) -> dict:
    usage: dict = {}
    for tickets, render, pool in runs:
        for name, need in tickets.items():
            if need <= 0:
                continue
            for path in ancestor_paths(pool):
                entry = usage.setdefault(path, {}).setdefault(name, {"count": 0, "hosts": set()})
                entry["count"] += need
                entry["hosts"].add(render)
    return {
        path: {
            n: {"count": e["count"], "hosts": sorted(e["hosts"])} for n, e in sorted(names.items())
        }
        for path, names in sorted(usage.items())
    }


@pytest.mark.parametrize("seed", range(20))
def test_random_starts_and_finishes_never_exceed_limits(seed):
    rng = random.Random(seed)
    tree = tree_of(POOLS)
    ledger = TicketLedger()
    runs: list = []
    starts = refusals = 0
    for _ in range(400):
        if runs and rng.random() < 0.4:
            tickets, render, pool = runs.pop(rng.randrange(len(runs)))
            assert ledger.release(tickets, render, pool)
        else:
            render = rng.choice(list(RENDERS))
            pool = RENDERS[render]
            tickets = {
                name: rng.choice([0, 1, 1, 1, 2])
                for name in rng.sample(["NUKE", "HOU", "FREE"], rng.randint(1, 3))
            }
            reason = ledger.blocked(tickets, render, pool, tree)
            # blocked() says no exactly when starting would exceed a limit.
            would_exceed = violations(tree, [*runs, (tickets, render, pool)])
            assert (reason is None) == (not would_exceed), (reason, would_exceed)
            if reason is None:
                ledger.acquire(tickets, render, pool)
                runs.append((tickets, render, pool))
                starts += 1
            else:
                assert reason.startswith("ticket ")
                refusals += 1
        assert violations(tree, runs) == []
        assert ledger.usage() == expected_usage(runs)
    assert starts > 20 and refusals > 20  # the sequence exercised both answers
    for tickets, render, pool in runs:
        assert ledger.release(tickets, render, pool)
    assert ledger.usage() == {}
