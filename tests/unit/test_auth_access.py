"""Access rules: who passes which rule, and who gets 401 or 403."""

import pytest

from app.protocol import NIMBY_STATES, RENDER_ACTIONS
from app.server.auth import (
    ADMIN,
    ADMIN_ONLY,
    OWNER,
    PERSON,
    PUBLIC,
    RENDER_ONLY,
    RULES,
    SCRAPE,
    Identity,
    Verdict,
    decide,
    person,
    render,
    render_action_rule,
)

ALICE = person("alice")
BOB = person("bob")
ROOT = person("root", ADMIN)
FARM01 = render("farm01")
SCRAPER = Identity("metrics-token", "scrape")


def test_rule_names_are_the_documented_ones():
    assert RULES == ("public", "user", "owner", "admin", "render", "scrape")
    assert Verdict.UNAUTHENTICATED == 401 and Verdict.FORBIDDEN == 403


@pytest.mark.parametrize("who", [None, ALICE, ROOT, FARM01])
def test_public_lets_everyone_in(who):
    assert decide(PUBLIC, who) is Verdict.ALLOW


@pytest.mark.parametrize("rule", [PERSON, OWNER, ADMIN_ONLY, RENDER_ONLY, SCRAPE])
def test_no_token_is_401_everywhere_else(rule):
    assert decide(rule, None, owner="alice") is Verdict.UNAUTHENTICATED


@pytest.mark.parametrize(
    ("rule", "who", "owner", "verdict"),
    [
        (PERSON, ALICE, None, Verdict.ALLOW),
        (PERSON, ROOT, None, Verdict.ALLOW),
        (PERSON, FARM01, None, Verdict.FORBIDDEN),
        (OWNER, ALICE, "alice", Verdict.ALLOW),
        (OWNER, BOB, "alice", Verdict.FORBIDDEN),
        (OWNER, ALICE, None, Verdict.FORBIDDEN),  # an object without owner: admins only
        (OWNER, ROOT, "alice", Verdict.ALLOW),
        (OWNER, ROOT, None, Verdict.ALLOW),
        (OWNER, FARM01, "render:farm01", Verdict.FORBIDDEN),
        (ADMIN_ONLY, ALICE, "alice", Verdict.FORBIDDEN),
        (ADMIN_ONLY, ROOT, None, Verdict.ALLOW),
        (ADMIN_ONLY, FARM01, None, Verdict.FORBIDDEN),
        (RENDER_ONLY, FARM01, None, Verdict.ALLOW),
        (RENDER_ONLY, ALICE, None, Verdict.FORBIDDEN),
        (RENDER_ONLY, ROOT, None, Verdict.FORBIDDEN),  # renders join as renders
        (SCRAPE, SCRAPER, None, Verdict.ALLOW),
        (SCRAPE, ALICE, None, Verdict.ALLOW),
        (SCRAPE, ROOT, None, Verdict.ALLOW),
        (SCRAPE, FARM01, None, Verdict.FORBIDDEN),
        (PERSON, SCRAPER, None, Verdict.FORBIDDEN),  # the metrics token opens nothing else
        (OWNER, SCRAPER, None, Verdict.FORBIDDEN),
        (ADMIN_ONLY, SCRAPER, None, Verdict.FORBIDDEN),
        (RENDER_ONLY, SCRAPER, None, Verdict.FORBIDDEN),
    ],
)
def test_who_passes_which_rule(rule, who, owner, verdict):
    assert decide(rule, who, owner) is verdict


def test_an_unknown_rule_is_a_programming_error_not_an_allow():
    with pytest.raises(ValueError, match="unknown access rule"):
        decide("owner ", ALICE, "alice")
    with pytest.raises(ValueError):
        decide("", None)


def test_a_workstation_owner_may_set_only_nimby_states_on_their_own_machine():
    for action in RENDER_ACTIONS:
        rule = render_action_rule(action)
        mine = decide(rule, ALICE, owner="alice")
        theirs = decide(rule, BOB, owner="alice")
        assert theirs is Verdict.FORBIDDEN
        assert decide(rule, ROOT, owner="alice") is Verdict.ALLOW
        if action in NIMBY_STATES:
            assert mine is Verdict.ALLOW, action
        else:
            assert mine is Verdict.FORBIDDEN, action
    assert decide(render_action_rule("free"), ALICE, owner=None) is Verdict.FORBIDDEN
