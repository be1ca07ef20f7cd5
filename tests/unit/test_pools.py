"""The pools tree: paths, render assignment, inheritance, services, validation (app.core.pools)."""

import json
import re

import pytest

from app.core.errors import SpecError
from app.core.jobspec import DEFAULT_CAPACITY
from app.core.pools import (
    PATH_PATTERN,
    ROOT_CAPACITY_HOST,
    ROOT_HEARTBEAT_PERIOD,
    ROOT_MAX_TASKS_HOST,
    ROOT_ZOMBIE_TIME,
    SETTINGS,
    Pool,
    PoolTicket,
    PoolTree,
    ancestor_paths,
    normalize_path,
    parent_path,
    settings_schema,
)
from app.core.renders import Render


def tree_of(pools: dict) -> PoolTree:
    return PoolTree.from_dict({"pools": pools})


def spec_error(call, *args, **kwargs) -> SpecError:
    with pytest.raises(SpecError) as err:
        call(*args, **kwargs)
    return err.value


# ------------------------------------------------------------------------------ paths


@pytest.mark.parametrize(
    "given, expected",
    [
        ("/", "/"),
        ("/gpu/", "/gpu/"),
        ("/gpu", "/gpu/"),
        ("gpu", "/gpu/"),
        ("gpu/big", "/gpu/big/"),
        ("/gpu/big/", "/gpu/big/"),
        ("/a-b/c_d/e.f/", "/a-b/c_d/e.f/"),
    ],
)
def test_normalize_path(given, expected):
    assert normalize_path(given) == expected


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "//",
        "///gpu",
        "gpu//",
        "/gpu//big/",
        "/../",
        "/./",
        "/-x/",
        "/a b/",
        "/gpu/\n/",
        "/é/",
        "/" + "a" * 65,
    ],
)
def test_bad_paths(bad):
    assert spec_error(normalize_path, bad, "where").field == "where"


def test_path_not_a_string():
    assert spec_error(normalize_path, 3).field == "path"


def test_parent_and_ancestor_paths():
    assert parent_path("/") is None
    assert parent_path("/gpu/") == "/"
    assert parent_path("/gpu/big/") == "/gpu/"
    assert ancestor_paths("/") == ["/"]
    assert ancestor_paths("/gpu/big/") == ["/", "/gpu/", "/gpu/big/"]


# ------------------------------------------------------------------------------ the tree


def test_new_tree_has_the_root_with_defaults():
    tree = PoolTree()
    assert tree.paths() == ["/"]
    root = tree.get("/")
    assert root == Pool.root()
    assert root.is_root and root.depth == 0
    assert root.capacity_host == ROOT_CAPACITY_HOST == 1100
    assert root.max_tasks_host == ROOT_MAX_TASKS_HOST == 4
    assert root.heartbeat_period == ROOT_HEARTBEAT_PERIOD == 5.0
    assert root.zombie_time == ROOT_ZOMBIE_TIME == 60.0
    assert root.priority == 99
    assert not root.paused and not root.services and not root.tickets_pool


def test_add_parent_chain_children():
    tree = PoolTree()
    gpu = tree.add(Pool("/gpu"))
    assert gpu.path == "/gpu/"
    tree.add(Pool("/gpu/big/"))
    tree.add(Pool("/cpu/"))
    assert tree.paths() == ["/", "/gpu/", "/gpu/big/", "/cpu/"]
    assert "/gpu/big/" in tree and "/gpu/big" in tree and "/nope/" not in tree
    assert tree.parent("/gpu/big/").path == "/gpu/"
    assert tree.parent("/") is None
    assert [p.path for p in tree.chain("/gpu/big/")] == ["/", "/gpu/", "/gpu/big/"]
    assert [p.path for p in tree.children("/")] == ["/gpu/", "/cpu/"]
    assert tree.get("gpu/big").depth == 2
    assert len(tree) == 4
    assert [p.path for p in tree] == tree.paths()


def test_add_refuses_missing_parent_duplicates_and_bad_values():
    tree = PoolTree()
    err = spec_error(tree.add, Pool("/gpu/big/"))
    assert err.field == "path" and "/gpu/" in err.message
    tree.add(Pool("/gpu/"))
    assert "exists" in spec_error(tree.add, Pool("/gpu")).message
    assert spec_error(tree.add, Pool("/", capacity_host=5)).field == "path"
    err = spec_error(tree.add, Pool("/cpu/", capacity_host=-5))
    assert err.field == "capacity_host"
    assert "/cpu/" not in tree


def test_add_validates_and_normalizes_values():
    tree = PoolTree()
    pool = tree.add(
        Pool(
            "/gpu/",
            services=["blender", "blender", "nuke"],
            tickets_pool={"NUKE": {"count": 3}},
            heartbeat_period=2,
        )
    )
    assert pool.services == ("blender", "nuke")
    assert pool.tickets_pool == {"NUKE": PoolTicket(3, -1)}
    assert pool.heartbeat_period == 2.0 and isinstance(pool.heartbeat_period, float)
    assert spec_error(tree.add, Pool("/x/", services="blender")).field == "services"


def test_unknown_paths_raise_key_error():
    tree = PoolTree()
    for call in (tree.get, tree.effective, tree.chain, tree.parent, tree.remove, tree.children):
        with pytest.raises(KeyError):
            call("/nope/")
    with pytest.raises(KeyError):
        tree.edit("/nope/", {})
    with pytest.raises(KeyError):
        tree.get("bad path")


def test_remove_refuses_root_and_pools_with_children():
    tree = tree_of({"/gpu/": {}, "/gpu/big/": {}})
    assert "root" in spec_error(tree.remove, "/").message
    err = spec_error(tree.remove, "/gpu/")
    assert err.field == "path" and "/gpu/big/" in err.message
    assert tree.remove("/gpu/big").path == "/gpu/big/"
    assert tree.remove("/gpu/").path == "/gpu/"
    assert tree.paths() == ["/"]
    assert [p.path for p in tree.children("/")] == []


# ------------------------------------------------------------------------------ render assignment


def test_pool_for_render_deepest_pattern_wins():
    tree = tree_of(
        {
            "/gpu/": {"pattern": "gpu.*"},
            "/gpu/big/": {"pattern": "gpubig\\d+"},
            "/cpu/": {"pattern": "r\\d+"},
        }
    )
    assert tree.pool_for_render("gpubig01") == "/gpu/big/"
    assert tree.pool_for_render("gpu01") == "/gpu/"
    assert tree.pool_for_render("r12") == "/cpu/"
    assert tree.pool_for_render("ws01") == "/"


def test_pool_for_render_full_match_ignoring_case():
    tree = tree_of({"/cpu/": {"pattern": "r\\d+"}})
    assert tree.pool_for_render("R07") == "/cpu/"
    assert tree.pool_for_render("r07x") == "/"
    assert tree.pool_for_render("xr07") == "/"


def test_pool_for_render_parent_without_pattern_does_not_hide_children():
    tree = tree_of({"/farm/": {}, "/farm/gpu/": {"pattern": "gpu.*"}})
    assert tree.pool_for_render("gpu3") == "/farm/gpu/"


def test_pool_for_render_ties_go_to_the_first_pool():
    tree = tree_of({"/a/": {"pattern": "r.*"}, "/b/": {"pattern": "r\\d+"}})
    assert tree.pool_for_render("r1") == "/a/"


def test_pool_for_render_follows_edits_and_removal():
    tree = tree_of({"/cpu/": {"pattern": "r.*"}})
    tree.edit("/cpu/", {"pattern": "node.*"})
    assert tree.pool_for_render("r1") == "/"
    assert tree.pool_for_render("node1") == "/cpu/"
    tree.remove("/cpu/")
    assert tree.pool_for_render("node1") == "/"


# ------------------------------------------------------------------------------ inheritance


def test_effective_root_defaults():
    s = PoolTree().effective("/")
    assert (s.capacity_host, s.max_tasks_host, s.heartbeat_period, s.zombie_time) == (
        1100,
        4,
        5.0,
        60.0,
    )
    assert s.power_host == -1 and s.properties == "" and s.priority == 99
    assert not s.paused and s.ready
    assert s.service_allowed("anything")
    assert dict(s.tickets_host) == {} and dict(s.tickets_pool) == {}


def test_effective_inherits_nearest_value():
    tree = tree_of(
        {
            "/": {"capacity_host": 2000, "max_tasks_host": 2, "zombie_time": 90},
            "/gpu/": {"max_tasks_host": 1, "heartbeat_period": 2.5, "power_host": 8},
            "/gpu/big/": {"capacity_host": 4000, "zombie_time": -1},
        }
    )
    big = tree.effective("/gpu/big/")
    assert big.capacity_host == 4000
    assert big.max_tasks_host == 1
    assert big.heartbeat_period == 2.5
    assert big.zombie_time == 90.0
    assert big.power_host == 8
    gpu = tree.effective("/gpu/")
    assert gpu.capacity_host == 2000 and gpu.max_tasks_host == 1
    assert tree.effective("/").power_host == -1


def test_effective_zero_is_a_value_not_inherit():
    tree = tree_of({"/off/": {"max_tasks_host": 0, "capacity_host": 0}})
    s = tree.effective("/off/")
    assert s.max_tasks_host == 0 and s.capacity_host == 0


def test_effective_properties_are_joined_root_first():
    tree = tree_of(
        {
            "/": {"properties_host": "ssd"},
            "/gpu/": {"properties_host": " cuda  rtx "},
            "/gpu/b/": {},
        }
    )
    assert tree.effective("/gpu/b/").properties == "ssd cuda  rtx"
    assert tree.effective("/").properties == "ssd"


def test_effective_priority_is_afanasy_calc_priority():
    tree = tree_of({"/": {"priority": 100}, "/a/": {"priority": 200}, "/a/b/": {"priority": 50}})
    assert tree.effective("/").priority == 100
    assert tree.effective("/a/").priority == 150
    assert tree.effective("/a/b/").priority == 100


def test_effective_paused_and_ready():
    tree = tree_of({"/a/": {"paused": True}, "/a/b/": {}, "/z/": {"priority": 0}, "/z/y/": {}})
    assert tree.effective("/a/b/").paused and not tree.effective("/a/b/").ready
    assert not tree.effective("/z/y/").paused and not tree.effective("/z/y/").ready
    assert tree.effective("/").ready
    tree.edit("/", {"paused": True})
    assert tree.effective("/z/").paused


def test_effective_is_cached_and_invalidated_on_changes():
    tree = tree_of({"/gpu/": {}})
    first = tree.effective("/gpu/")
    assert tree.effective("/gpu/") is first
    assert tree.effective("/gpu") == first
    tree.edit("/", {"capacity_host": 5000})
    assert tree.effective("/gpu/").capacity_host == 5000
    tree.add(Pool("/gpu/big/", max_tasks_host=9))
    assert tree.effective("/gpu/big/").max_tasks_host == 9
    tree.update("/gpu/", max_tasks_host=2)
    assert tree.effective("/gpu/big/").max_tasks_host == 9
    assert tree.effective("/gpu/").max_tasks_host == 2


def test_effective_tickets_host_nearest_defined():
    tree = tree_of(
        {
            "/": {"tickets_host": {"NUKE": 2, "HOUDINI": 1}},
            "/a/": {"tickets_host": {"NUKE": -1, "HOUDINI": 4}},
            "/a/b/": {"tickets_host": {"NUKE": 1}},
        }
    )
    assert dict(tree.effective("/a/").tickets_host) == {"NUKE": 2, "HOUDINI": 4}
    assert dict(tree.effective("/a/b/").tickets_host) == {"NUKE": 1, "HOUDINI": 4}


def test_effective_tickets_pool_chain_deepest_first():
    tree = tree_of(
        {
            "/": {"tickets_pool": {"NUKE": {"count": 10}}},
            "/a/": {"tickets_pool": {"NUKE": {"count": 3, "max_hosts": 2}, "X": {}}},
            "/a/b/": {},
        }
    )
    assert tree.effective("/a/b/").tickets_pool["NUKE"] == (
        ("/a/", PoolTicket(3, 2)),
        ("/", PoolTicket(10, -1)),
    )
    assert "X" not in tree.effective("/a/b/").tickets_pool  # no limit at all


# ------------------------------------------------------------------------------ services


def test_services_all_allowed_when_nobody_lists_any():
    tree = tree_of({"/a/": {}})
    assert tree.effective("/a/").service_allowed("nuke")


def test_services_listed_somewhere_in_the_chain():
    tree = tree_of(
        {"/": {"services": ["generic"]}, "/gpu/": {"services": ["blender"]}, "/cpu/": {}}
    )
    gpu = tree.effective("/gpu/")
    assert gpu.service_allowed("blender") and gpu.service_allowed("generic")
    assert not gpu.service_allowed("nuke")
    cpu = tree.effective("/cpu/")
    assert cpu.service_allowed("generic") and not cpu.service_allowed("blender")


def test_services_disabled_anywhere_wins():
    tree = tree_of(
        {"/": {"services_disabled": ["maya"]}, "/a/": {"services": ["maya", "nuke"]}, "/a/b/": {}}
    )
    s = tree.effective("/a/b/")
    assert not s.service_allowed("maya")
    assert s.service_allowed("nuke")
    tree2 = tree_of({"/a/": {"services_disabled": ["nuke"]}})
    assert not tree2.effective("/a/").service_allowed("nuke")
    assert tree2.effective("/a/").service_allowed("maya")  # nobody lists services
    assert tree2.effective("/").service_allowed("nuke")  # a child's setting does not go up


# ------------------------------------------------------------------------------ from_dict / to_dict


def test_round_trip_through_json():
    data = {
        "pools": {
            "/": {"capacity_host": 2000, "tickets_pool": {"NUKE": {"count": 10, "max_hosts": 5}}},
            "/gpu/": {
                "pattern": "gpu\\d+",
                "priority": 120,
                "paused": True,
                "services": ["blender"],
                "services_disabled": ["nuke"],
                "properties_host": "cuda",
                "tickets_host": {"NUKE": 1},
                "heartbeat_period": 1.5,
                "zombie_time": 20,
                "power_host": 3,
                "sick_errors_count": 4,
                "annotation": "the GPU boxes",
            },
        }
    }
    tree = PoolTree.from_dict(data)
    dumped = json.loads(json.dumps(tree.to_dict()))
    again = PoolTree.from_dict(dumped)
    assert again.to_dict() == dumped
    assert [p for p in again] == [p for p in tree]
    gpu = dumped["pools"]["/gpu/"]
    assert gpu["tickets_host"] == {"NUKE": 1}
    assert gpu["capacity_host"] == -1
    assert dumped["pools"]["/"]["tickets_pool"] == {"NUKE": {"count": 10, "max_hosts": 5}}


def test_from_dict_accepts_any_order_and_unnormalized_keys():
    tree = PoolTree.from_dict({"pools": {"gpu/big": {}, "/gpu": {}}, "other_section": 1})
    assert tree.paths() == ["/", "/gpu/", "/gpu/big/"]
    assert PoolTree.from_dict({}).paths() == ["/"]


def test_from_dict_ticket_count_shorthand():
    tree = tree_of({"/": {"tickets_pool": {"NUKE": 4}}})
    assert tree.get("/").tickets_pool == {"NUKE": PoolTicket(4, -1)}


@pytest.mark.parametrize(
    "pools, field",
    [
        ({"/gpu/": {"capacity_host": "big"}}, 'pools["/gpu/"].capacity_host'),
        ({"/gpu/": {"capacity_host": -2}}, 'pools["/gpu/"].capacity_host'),
        ({"/gpu/": {"max_tasks_host": 1.5}}, 'pools["/gpu/"].max_tasks_host'),
        ({"/gpu/": {"max_tasks_host": True}}, 'pools["/gpu/"].max_tasks_host'),
        ({"/gpu/": {"priority": 251}}, 'pools["/gpu/"].priority'),
        ({"/gpu/": {"priority": -1}}, 'pools["/gpu/"].priority'),
        ({"/gpu/": {"paused": 1}}, 'pools["/gpu/"].paused'),
        ({"/gpu/": {"pattern": "gpu("}}, 'pools["/gpu/"].pattern'),
        ({"/gpu/": {"pattern": 5}}, 'pools["/gpu/"].pattern'),
        ({"/gpu/": {"services": "blender"}}, 'pools["/gpu/"].services'),
        ({"/gpu/": {"services": ["ok", "no/slash"]}}, 'pools["/gpu/"].services[1]'),
        ({"/gpu/": {"services_disabled": [3]}}, 'pools["/gpu/"].services_disabled[0]'),
        ({"/gpu/": {"heartbeat_period": 0}}, 'pools["/gpu/"].heartbeat_period'),
        ({"/gpu/": {"heartbeat_period": "5"}}, 'pools["/gpu/"].heartbeat_period'),
        ({"/gpu/": {"zombie_time": float("nan")}}, 'pools["/gpu/"].zombie_time'),
        ({"/gpu/": {"zombie_time": 0.5}}, 'pools["/gpu/"].zombie_time'),
        ({"/gpu/": {"properties_host": "a\nb"}}, 'pools["/gpu/"].properties_host'),
        ({"/gpu/": {"annotation": "a\0b"}}, 'pools["/gpu/"].annotation'),
        ({"/gpu/": {"tickets_host": []}}, 'pools["/gpu/"].tickets_host'),
        ({"/gpu/": {"tickets_host": {"NUKE": "1"}}}, 'pools["/gpu/"].tickets_host["NUKE"]'),
        ({"/gpu/": {"tickets_host": {"NUKE": -2}}}, 'pools["/gpu/"].tickets_host["NUKE"]'),
        ({"/gpu/": {"tickets_host": {"": 1}}}, 'pools["/gpu/"].tickets_host[""]'),
        ({"/gpu/": {"tickets_pool": {"N": [1, 2]}}}, 'pools["/gpu/"].tickets_pool["N"]'),
        (
            {"/gpu/": {"tickets_pool": {"N": {"count": 1, "max_host": 2}}}},
            'pools["/gpu/"].tickets_pool["N"].max_host',
        ),
        (
            {"/gpu/": {"tickets_pool": {"N": {"count": "x"}}}},
            'pools["/gpu/"].tickets_pool["N"].count',
        ),
        (
            {"/gpu/": {"tickets_pool": {"N": {"max_hosts": -3}}}},
            'pools["/gpu/"].tickets_pool["N"].max_hosts',
        ),
        ({"/gpu/": {"capacity": 5}}, 'pools["/gpu/"].capacity'),
        ({"/gpu/": {"path": "/x/"}}, 'pools["/gpu/"].path'),
        ({"/gpu/": []}, 'pools["/gpu/"]'),
        ({"/gpu/big/": {}}, 'pools["/gpu/big/"]'),
        ({"/gpu//": {}}, 'pools["/gpu//"]'),
        ({"/gpu/": {}, "/gpu": {}}, 'pools["/gpu"]'),
        ({"/": {"pattern": "r.*"}}, 'pools["/"].pattern'),
        ({"/": {"capacity_host": -1}}, 'pools["/"].capacity_host'),
        ({"/": {"max_tasks_host": -1}}, 'pools["/"].max_tasks_host'),
        ({"/": {"heartbeat_period": -1}}, 'pools["/"].heartbeat_period'),
        ({"/": {"zombie_time": -1}}, 'pools["/"].zombie_time'),
    ],
)
def test_from_dict_errors_name_the_field(pools, field):
    err = spec_error(PoolTree.from_dict, {"pools": pools})
    assert err.field == field


def test_from_dict_top_level_errors():
    assert spec_error(PoolTree.from_dict, []).field == ""
    assert spec_error(PoolTree.from_dict, {"pools": []}).field == "pools"


def test_root_may_leave_power_unknown_and_sick_detection_off():
    tree = tree_of({"/": {"power_host": -1, "sick_errors_count": -1}, "/a/": {}})
    assert tree.effective("/a/").power_host == -1
    assert tree.effective("/a/").sick_errors_count == -1


def test_sick_errors_count_inherits_and_zero_turns_it_off():
    tree = tree_of({"/": {"sick_errors_count": 5}, "/a/": {}, "/b/": {"sick_errors_count": 0}})
    assert tree.effective("/a/").sick_errors_count == 5
    assert tree.effective("/b/").sick_errors_count == 0
    err = spec_error(tree.edit, "/a/", {"sick_errors_count": -2})
    assert err.field == "sick_errors_count"


# ------------------------------------------------------------------------------ edit / update


def test_edit_is_a_partial_update():
    tree = tree_of({"/gpu/": {"pattern": "gpu.*", "capacity_host": 3000, "services": ["a"]}})
    pool = tree.edit("/gpu", {"max_tasks_host": 2, "services": ["b", "c"]})
    assert pool.path == "/gpu/"
    assert pool.pattern == "gpu.*" and pool.capacity_host == 3000
    assert pool.max_tasks_host == 2 and pool.services == ("b", "c")
    assert tree.get("/gpu/") is pool


def test_edit_error_names_the_param_and_changes_nothing():
    tree = tree_of({"/gpu/": {"capacity_host": 3000}})
    before = tree.to_dict()
    err = spec_error(tree.edit, "/gpu/", {"max_tasks_host": 2, "capacity_host": "x"})
    assert err.field == "capacity_host"
    err = spec_error(tree.edit, "/gpu/", {"tickets_pool": {"NUKE": {"count": -7}}})
    assert err.field == 'tickets_pool["NUKE"].count'
    assert spec_error(tree.edit, "/gpu/", {"nope": 1}).field == "nope"
    assert spec_error(tree.edit, "/gpu/", "capacity_host=1").field == ""
    assert spec_error(tree.edit, "/", {"pattern": "r.*"}).field == "pattern"
    assert tree.to_dict() == before


def test_edit_replaces_ticket_maps():
    tree = tree_of({"/": {"tickets_host": {"A": 1, "B": 2}}})
    tree.edit("/", {"tickets_host": {"B": 3}})
    assert tree.get("/").tickets_host == {"B": 3}


def test_update_keywords():
    tree = PoolTree()
    tree.update("/", capacity_host=500, services=("nuke",))
    assert tree.get("/").capacity_host == 500
    assert tree.effective("/").service_allowed("nuke")
    assert not tree.effective("/").service_allowed("maya")
    assert spec_error(tree.update, "/", zombie_time=-1).field == "zombie_time"


# ---------------------------------------------------------------- render states automation keys

AUTO_KEYS = (
    "busy_nimby_time",
    "idle_free_time",
    "idle_user_time",
    "busy_cpu",
    "idle_cpu",
    "busy_mem",
    "idle_mem",
    "busy_swp",
    "idle_swp",
    "busy_hddgb",
    "idle_hddgb",
    "busy_hddio",
    "idle_hddio",
    "busy_netmbs",
    "idle_netmbs",
)


def test_auto_nimby_keys_are_off_by_default():
    tree = PoolTree()
    root = tree.effective("/")
    for key in AUTO_KEYS:
        assert getattr(tree.root(), key) == -1
        assert getattr(root, key) == -1


def test_auto_nimby_keys_inherit_nearest_value():
    tree = tree_of(
        {
            "/": {
                "busy_nimby_time": 30,
                "idle_free_time": 120,
                "idle_user_time": 300,
                "busy_cpu": 60,
            },
            "/ws/": {"pattern": "ws.*", "busy_cpu": 40, "idle_cpu": 5.5, "idle_user_time": -1},
            "/ws/anim/": {"busy_nimby_time": 0, "busy_hddgb": 10},
        }
    )
    anim = tree.effective("/ws/anim/")
    assert anim.busy_nimby_time == 0  # 0 is a value, not inherit
    assert anim.idle_free_time == 120
    assert anim.idle_user_time == 300
    assert anim.busy_cpu == 40
    assert anim.idle_cpu == 5.5
    assert anim.busy_hddgb == 10
    assert anim.busy_mem == -1
    tree.edit("/ws/", {"busy_cpu": -1})
    assert tree.effective("/ws/anim/").busy_cpu == 60


def test_auto_nimby_keys_round_trip():
    tree = tree_of({"/": {"idle_user_time": 60, "busy_netmbs": 12.5}, "/a/": {"idle_mem": 30}})
    again = PoolTree.from_dict(json.loads(json.dumps(tree.to_dict())))
    assert again.to_dict() == tree.to_dict()
    assert again.effective("/a/").idle_mem == 30
    assert again.effective("/a/").busy_netmbs == 12.5


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("busy_cpu", 101, "0..100"),
        ("idle_mem", -2, "0..100"),
        ("busy_swp", "50", "must be a number"),
        ("idle_hddio", True, "must be a number"),
        ("busy_nimby_time", float("inf"), "finite"),
        ("idle_free_time", 10**9, "-1 (inherit/off)"),
        ("idle_user_time", None, "must be a number"),
        ("busy_hddgb", -0.5, "0..1e+06"),
    ],
)
def test_auto_nimby_keys_validate(key, value, message):
    tree = PoolTree()
    tree.add(Pool("/a/"))
    err = spec_error(tree.edit, "/a/", {key: value})
    assert err.field == key
    assert message in err.message
    assert getattr(tree.get("/a/"), key) == -1


# ---------------------------------------------------------------- render hours


def test_render_hours_default_always_and_inherit():
    tree = tree_of(
        {
            "/": {"render_hours": "20:00-08:00"},
            "/ws/": {"pattern": "ws.*"},
            "/ws/anim/": {"render_hours": "mon-fri 19:00-07:00, sat-sun 00:00-24:00"},
            "/srv/": {"render_hours": "always"},
        }
    )
    assert PoolTree().effective("/").render_hours == ""
    assert tree.effective("/ws/").render_hours == "20:00-08:00"
    assert tree.effective("/ws/anim/").render_hours.startswith("mon-fri")
    assert tree.effective("/srv/").render_hours == "always"
    tree.edit("/", {"render_hours": ""})
    assert tree.effective("/ws/").render_hours == ""
    again = PoolTree.from_dict(json.loads(json.dumps(tree.to_dict())))
    assert again.to_dict() == tree.to_dict()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("25:00-08:00", "bad start time"),
        ("weekends", "HH:MM-HH:MM"),
        (8, "must be a string"),
        ("20:00-08:00 Nowhere/Town", "unknown time zone"),
    ],
)
def test_render_hours_validate(value, message):
    tree = PoolTree()
    tree.add(Pool("/a/"))
    err = spec_error(tree.edit, "/a/", {"render_hours": value})
    assert err.field == "render_hours"
    assert message in err.message
    assert tree.get("/a/").render_hours == ""
    err = spec_error(PoolTree.from_dict, {"pools": {"/b/": {"render_hours": "x"}}})
    assert err.field.endswith("render_hours") and "/b/" in err.field


@pytest.mark.parametrize(
    ("capacity_host", "max_tasks_host", "expected"),
    [
        (None, None, (ROOT_CAPACITY_HOST, ROOT_MAX_TASKS_HOST)),  # the pool's
        (None, 4, (4 * DEFAULT_CAPACITY, 4)),  # room for four ordinary tasks
        (None, 1, (ROOT_CAPACITY_HOST, 1)),  # the pool's capacity already fits one
        (500, 4, (500, 4)),  # a capacity it set stays the finer tool
        (3000, None, (3000, ROOT_MAX_TASKS_HOST)),
    ],
)
def test_a_render_set_to_n_task_slots_has_room_for_n_ordinary_tasks(
    capacity_host, max_tasks_host, expected
):
    render = Render(id=1, name="r1", capacity_host=capacity_host, max_tasks_host=max_tasks_host)
    render.apply_pool(ROOT_CAPACITY_HOST, ROOT_MAX_TASKS_HOST)
    assert (render.capacity, render.max_tasks) == expected


@pytest.mark.parametrize(
    "path",
    ["/", "/gpu/", "gpu", "gpu/big/", "/a_b.c-d/", "//", "gpu//", "/.x/", "/-a/", "/a b/", ""]
    + ["/" + "a/" * 32, "/" + "a/" * 33, "/" + "x" * 65 + "/"],
)
def test_the_path_pattern_of_the_openapi_document_is_normalize_path_s_rule(path):
    try:
        normalize_path(path)
    except SpecError:
        accepted = False
    else:
        accepted = True
    assert bool(re.fullmatch(PATH_PATTERN, path)) == accepted


@pytest.mark.parametrize("root", [False, True], ids=["pool", "root"])
def test_the_settings_table_gives_the_readers_and_the_schema_the_same_limits(root):
    schema = settings_schema(root)["properties"]
    path = "/" if root else "/gpu/"
    assert set(schema) == set(SETTINGS) - ({"pattern"} if root else set())
    for key, sub in schema.items():
        setting = SETTINGS[key]
        assert sub["description"] == setting.description and len(setting.description) <= 100
        if setting.kind not in ("integer", "seconds", "number"):
            continue
        inherits = "anyOf" in sub
        numbers = sub["anyOf"][1] if inherits else sub
        assert (numbers["minimum"], numbers["maximum"]) == (setting.lo, setting.hi), key
        tree = tree_of({"/gpu/": {}})
        assert getattr(tree.update(path, **{key: setting.hi}), key) == setting.hi
        spec_error(tree.update, path, **{key: setting.hi + 1})
        # -1 is offered exactly where the reader takes it
        if inherits:
            title = setting.root_inherit if root else "inherit"
            assert sub["anyOf"][0] == {"const": -1, "title": title}, key
            assert getattr(tree.update(path, **{key: -1}), key) == -1
        elif setting.lo > -1:
            spec_error(tree.update, path, **{key: -1})
