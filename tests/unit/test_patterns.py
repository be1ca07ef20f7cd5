"""User regular expressions (app.core.patterns): linear-time matching, RE2's refusals named by
field, wherever a user pattern is compiled (masks, job specs, pools, user settings)."""

from __future__ import annotations

import multiprocessing

import pytest

from app.core.errors import SpecError
from app.core.jobs import Job
from app.core.jobspec import parse_job
from app.core.masks import HostMask, name_regex
from app.core.patterns import compile_pattern
from app.core.pools import PoolTree
from app.core.renders import Render
from app.core.rules import FarmView
from app.core.solver import Solver, explain
from app.core.tickets import TicketLedger
from app.core.users import User

BOMB = "(a+)+$"  # a backtracking engine takes 2^n steps to refuse n a's and a "!"
VICTIM = "a" * 40 + "!"
GUARD = 5.0  # seconds: generous; a backtracking engine needs hours for VICTIM


def _answers(check, *args: str) -> object:
    """check(*args) run in a child process (a stuck match holds the interpreter), failing when
    it takes longer than GUARD."""
    with multiprocessing.get_context("fork").Pool(1) as pool:
        try:
            return pool.apply_async(check, args).get(GUARD)
        except multiprocessing.TimeoutError:
            pytest.fail(f"still matching after {GUARD} s")


def _host_mask_matches(pattern: str, name: str) -> bool:
    return HostMask.compile(pattern, "regex", "hosts_mask").matches(name)


def _depend_mask_matches(pattern: str, name: str) -> bool:
    return name_regex(pattern, "depend_mask").fullmatch(name) is not None


def _pool_for_render(pattern: str, name: str) -> str:
    return PoolTree.from_dict({"pools": {"/bomb/": {"pattern": pattern}}}).pool_for_render(name)


def test_a_bomb_hosts_mask_answers():
    assert _answers(_host_mask_matches, BOMB, VICTIM) is False
    assert _answers(_host_mask_matches, BOMB, "A" * 40) is True  # hosts masks ignore case


def test_a_bomb_depend_mask_answers():
    assert _answers(_depend_mask_matches, BOMB, VICTIM) is False


def test_a_bomb_pool_pattern_answers():
    assert _answers(_pool_for_render, BOMB, VICTIM) == "/"
    assert _pool_for_render(BOMB, "aaa") == "/bomb/"


def test_host_mask_remembers_its_verdict_per_name():
    mask = HostMask.compile("r[0-9]+", "regex")
    assert [mask.matches(name) for name in ("r1", "r1", "x1", "R22")] == [True, True, False, True]


@pytest.mark.parametrize(
    "text", [r"(a)\1", "shot(?=_010)", "(?<!x)y", "(?P<n>a)(?P=n)", "a{1001}", "(", "a)"]
)
def test_refused_patterns_name_their_field(text):
    with pytest.raises(SpecError) as err:
        compile_pattern(text, "blocks[1].depend_mask")
    assert err.value.field == "blocks[1].depend_mask"
    assert err.value.message.startswith("not a valid regular expression")


def test_not_a_string():
    with pytest.raises(SpecError) as err:
        compile_pattern(3, "mask")
    assert err.value.field == "mask"


def test_compiled_once_per_text_and_case():
    assert compile_pattern("shot_.*", "a") is compile_pattern("shot_.*", "b")
    assert compile_pattern("shot_.*", "a") is not compile_pattern("shot_.*", "a", True)
    assert compile_pattern("Shot", "a", ignore_case=True).fullmatch("SHOT")
    assert not compile_pattern("Shot", "a").fullmatch("SHOT")


# Backreferences and lookaround are what a linear-time engine leaves out: refused where given.


def test_job_depend_masks_refuse_backreferences():
    job = {"name": "j", "blocks": [{"tasks": [{"command": "x"}]}]}
    with pytest.raises(SpecError) as err:
        parse_job({**job, "depend_mask_global": r"(shot)_\1"})
    assert err.value.field == "depend_mask_global"
    block = {"tasks": [{"command": "x"}], "tasks_depend_mask": "(?!comp).*"}
    with pytest.raises(SpecError) as err:
        parse_job({**job, "blocks": [block]})
    assert err.value.field == "blocks[0].tasks_depend_mask"


def test_pool_pattern_refuses_lookaround():
    with pytest.raises(SpecError) as err:
        PoolTree.from_dict({"pools": {"/gpu/": {"pattern": "(?=gpu).*"}}})
    assert err.value.field == 'pools["/gpu/"].pattern'


def test_user_hosts_mask_refuses_backreferences():
    with pytest.raises(SpecError) as err:
        User("u").edit({"hosts_mask_type": "regex", "hosts_mask_exclude": r"(r)\1"})
    assert err.value.field == "hosts_mask_exclude"


def test_regex_mode_job_hosts_masks_are_compiled_at_submit():
    block = {"tasks": [{"command": "x"}], "hosts_mask_exclude": "(?=r)r1"}
    job = {"name": "j", "hosts_mask_type": "regex", "blocks": [block]}
    with pytest.raises(SpecError) as err:
        parse_job(job)
    assert err.value.field == "blocks[0].hosts_mask_exclude"
    with pytest.raises(SpecError) as err:
        parse_job({**job, "hosts_mask": BOMB + ")", "blocks": [{"tasks": [{"command": "x"}]}]})
    assert err.value.field == "hosts_mask"
    assert parse_job({**job, "hosts_mask_type": "find"}).blocks[0].hosts_mask_exclude


def test_a_mask_refused_in_its_users_regex_mode_keeps_the_job_off_renders():
    block = {"tasks": [{"command": "x"}]}
    spec = parse_job({"name": "j", "user_name": "u", "hosts_mask": "(?=r)r1", "blocks": [block]})
    user = User("u", hosts_mask_type="regex")  # the job takes its user's mode
    job = Job(id=1, spec=spec, time_created=0.0, user=user, order=1)
    render = Render(id=1, name="r1", max_tasks=1, capacity=1000, online=True)
    solver = Solver()
    solver.refresh(job)
    view = FarmView(pools=PoolTree(), tickets=TicketLedger(), now=0.0)
    assert solver.pick(render, view) is None
    assert explain(job, [render], view)["renders"][0]["reason"].startswith(
        "job hosts_mask: not a valid regular expression"
    )
