"""The pools tree (Afanasy v3 pools).

Pools form a tree of paths: the root ``/`` always exists, children look like ``/gpu/`` and
``/gpu/big/``. A render belongs to one pool. Farm settings (capacity, task slots, services,
properties, tickets, render timing) are set on pools; ``-1`` or empty means "inherit from the
parent pool", and the root holds the farm defaults. :meth:`PoolTree.effective` resolves the
chain once per pool and caches the result, since the scheduler asks for it on every decision.

The farm file format (``PoolTree.to_dict`` / ``PoolTree.from_dict``)::

    {"pools": {"/":      {"capacity_host": 1100, "max_tasks_host": 4, ...},
               "/gpu/":  {"pattern": "gpu\\\\d+", "services": ["blender"],
                          "tickets_pool": {"NUKE": {"count": 10, "max_hosts": 5}},
                          "tickets_host": {"NUKE": 1}}}}

Every problem raises :class:`SpecError` with the field path, e.g.
``pools["/gpu/"].capacity_host``; :meth:`PoolTree.edit` names fields relative to its params
(``capacity_host``), as a REST request body would. Unknown pool paths raise ``KeyError``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, fields, replace
from types import MappingProxyType
from typing import Any, NamedTuple

from app.core.errors import SpecError
from app.core.json_checks import (
    check_object,
    check_text,
    join_path,
    json_integer,
    key_path,
    type_name,
)
from app.core.patterns import Pattern, compile_pattern
from app.core.render_hours import MAX_LEN as MAX_HOURS_LEN
from app.core.render_hours import parse_hours

ROOT = "/"

# Root pool defaults. Afanasy creates the root with 1100 capacity and 4 task slots per host
# (§2.9); the render timing values are Corral's (Afanasy: 1 s heartbeat, 16 s zombie time).
ROOT_CAPACITY_HOST = 1100
ROOT_MAX_TASKS_HOST = 4
ROOT_HEARTBEAT_PERIOD = 5.0
ROOT_ZOMBIE_TIME = 60.0
DEFAULT_PRIORITY = 99  # Afanasy af_priority; 0 = the pool's renders take no tasks
INHERIT = -1

MAX_PRIORITY = 250
MAX_CAPACITY = 1_000_000_000
MAX_TASKS = 10_000
MAX_POWER = 1_000_000_000
MAX_SICK_ERRORS = 1000
MAX_TICKETS = 1_000_000
MAX_HEARTBEAT = 3600.0
MIN_HEARTBEAT = 0.1
MAX_ZOMBIE_TIME = 7 * 24 * 3600.0
MIN_ZOMBIE_TIME = 1.0
MAX_POOLS = 10_000
MAX_DEPTH = 32
MAX_ENTRIES = 1000  # services, tickets per pool
MAX_NAME_LEN = 512
MAX_PATTERN_LEN = 4096
MAX_PROPERTIES_LEN = 4096
MAX_TEXT_LEN = 65536

# Render states automation (Afanasy §6.7): -1 = inherit, and -1 on the root = off.
# The busy_*/idle_* thresholds: cpu, mem, swp, hddio in %, hddgb in free GB, netmbs in MB/s.
# idle_user_time (Corral's): the user's input idle seconds below which the machine is in use.
AUTO_NIMBY_TIMES = ("busy_nimby_time", "idle_free_time", "idle_user_time")
AUTO_NIMBY_THRESHOLDS = tuple(
    f"{side}_{what}"
    for what in ("cpu", "mem", "swp", "hddgb", "hddio", "netmbs")
    for side in ("busy", "idle")
)
AUTO_NIMBY_KEYS = AUTO_NIMBY_TIMES + AUTO_NIMBY_THRESHOLDS
MAX_AUTO_TIME = 7 * 24 * 3600.0
MAX_PERCENT = 100.0
MAX_HDD_GB = 1_000_000.0
MAX_NET_MBS = 1_000_000.0

_SEGMENT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]{0,63}")
# normalize_path's rule as a JSON schema pattern (with maxLength MAX_NAME_LEN)
PATH_PATTERN = f"^(/|/?{_SEGMENT.pattern}(/{_SEGMENT.pattern}){{0,{MAX_DEPTH - 1}}}/?)$"
_SERVICE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_\-]{0,63}")  # as block services (jobspec)


class PoolTicket(NamedTuple):
    """A pool ticket limit: ``count`` in use at once in the pool's subtree, on at most
    ``max_hosts`` distinct hosts; -1 = unlimited."""

    count: int = -1
    max_hosts: int = -1


@dataclass(frozen=True)
class Pool:
    """One pool's own settings (not inherited ones: see :class:`PoolSettings`).

    Treat the dicts as read-only; change a pool through :meth:`PoolTree.edit` or ``update``.
    """

    path: str
    pattern: str = ""  # regex, case-insensitive full match on render names; not on the root
    priority: int = DEFAULT_PRIORITY  # 0..250; 0 = renders of this subtree take no tasks
    paused: bool = False  # paused: renders of this subtree take no tasks
    capacity_host: int = INHERIT
    max_tasks_host: int = INHERIT
    power_host: int = INHERIT
    properties_host: str = ""  # added to the parent's properties
    services: tuple[str, ...] = ()
    services_disabled: tuple[str, ...] = ()
    heartbeat_period: float = INHERIT  # seconds
    zombie_time: float = INHERIT  # seconds
    sick_errors_count: int = INHERIT  # errors from this many users make a render sick; 0 = off
    tickets_pool: dict[str, PoolTicket] = field(default_factory=dict)
    tickets_host: dict[str, int] = field(default_factory=dict)  # count -1 = inherit
    annotation: str = ""
    # render states automation (-1 = inherit; on the root: off), see AUTO_NIMBY_KEYS
    busy_nimby_time: float = INHERIT  # seconds busy before a free render turns NIMBY
    idle_free_time: float = INHERIT  # seconds idle before a nimby/NIMBY render turns free
    idle_user_time: float = INHERIT  # user input idle seconds below which the user is active
    busy_cpu: float = INHERIT  # CPU busy %
    idle_cpu: float = INHERIT
    busy_mem: float = INHERIT  # memory used %
    idle_mem: float = INHERIT
    busy_swp: float = INHERIT  # swap used %
    idle_swp: float = INHERIT
    busy_hddgb: float = INHERIT  # disk free GB (busy at or below, idle above)
    idle_hddgb: float = INHERIT
    busy_hddio: float = INHERIT  # disk busy %
    idle_hddio: float = INHERIT
    busy_netmbs: float = INHERIT  # network MB/s, received + sent
    idle_netmbs: float = INHERIT
    # when the farm may use the renders (app/core/render_hours.py); "" = inherit (root: always)
    render_hours: str = ""

    @classmethod
    def root(cls) -> Pool:
        """The root pool with the farm defaults."""
        return cls(
            ROOT,
            capacity_host=ROOT_CAPACITY_HOST,
            max_tasks_host=ROOT_MAX_TASKS_HOST,
            heartbeat_period=ROOT_HEARTBEAT_PERIOD,
            zombie_time=ROOT_ZOMBIE_TIME,
        )

    @property
    def is_root(self) -> bool:
        return self.path == ROOT

    @property
    def depth(self) -> int:
        """0 for the root, 1 for /gpu/, 2 for /gpu/big/."""
        return self.path.count("/") - 1

    def to_json(self) -> dict[str, Any]:
        """The pool's settings as a JSON object (without its path, which is the key)."""
        out = self._settings()
        for key in ("services", "services_disabled"):
            out[key] = list(out[key])
        for key in ("heartbeat_period", "zombie_time"):
            if out[key] == INHERIT:
                out[key] = INHERIT
        out["tickets_host"] = dict(out["tickets_host"])
        return out

    def _settings(self) -> dict[str, Any]:
        """The settings as given (not validated), pool tickets as JSON objects."""
        out = {key: getattr(self, key) for key in POOL_KEYS}
        out["tickets_pool"] = {
            name: {"count": t.count, "max_hosts": t.max_hosts} if isinstance(t, PoolTicket) else t
            for name, t in self.tickets_pool.items()
        }
        return out


POOL_KEYS = tuple(f.name for f in fields(Pool) if f.name != "path")


@dataclass(frozen=True)
class PoolSettings:
    """A pool's settings with inheritance resolved (what a render of that pool gets).

    - ``capacity_host``, ``max_tasks_host``, ``power_host``, ``heartbeat_period``,
      ``zombie_time``, ``sick_errors_count``: the nearest value that is not -1 (the root
      always has one, except ``power_host``, -1: unknown, and ``sick_errors_count``, -1: off).
    - ``properties``: ``properties_host`` of the chain, root first, joined by spaces (a pool
      adds properties to its parent's).
    - ``priority``: Afanasy's ``calcPriority``: root's own, then ``(own + parent's) // 2``.
    - ``paused``: some pool of the chain is paused. ``ready``: not paused and no pool of the
      chain has priority 0 (Afanasy's "pool chain ready").
    - ``tickets_host``: per ticket, the count of the nearest pool that sets one (not -1).
    - ``tickets_pool``: per ticket, the pools of the chain that limit it, deepest first.
    - ``busy_nimby_time``, ``idle_free_time``, ``idle_user_time``, ``busy_*``, ``idle_*``
      (:data:`AUTO_NIMBY_KEYS`): the nearest value that is not -1; -1 everywhere = off.
    - ``render_hours``: the nearest non-empty text; empty everywhere = always (a pool can
      lift a parent's hours with ``"always"``).
    """

    path: str
    capacity_host: int
    max_tasks_host: int
    power_host: int
    properties: str
    heartbeat_period: float
    zombie_time: float
    sick_errors_count: int
    priority: int
    paused: bool
    ready: bool
    services: frozenset[str]  # listed by some pool of the chain
    services_disabled: frozenset[str]  # disabled by some pool of the chain
    tickets_host: MappingProxyType[str, int]
    tickets_pool: MappingProxyType[str, tuple[tuple[str, PoolTicket], ...]]
    # render states automation, resolved: the nearest value that is not -1; -1 = off
    busy_nimby_time: float = INHERIT
    idle_free_time: float = INHERIT
    idle_user_time: float = INHERIT
    busy_cpu: float = INHERIT
    idle_cpu: float = INHERIT
    busy_mem: float = INHERIT
    idle_mem: float = INHERIT
    busy_swp: float = INHERIT
    idle_swp: float = INHERIT
    busy_hddgb: float = INHERIT
    idle_hddgb: float = INHERIT
    busy_hddio: float = INHERIT
    idle_hddio: float = INHERIT
    busy_netmbs: float = INHERIT
    idle_netmbs: float = INHERIT
    render_hours: str = ""  # the nearest non-empty text; "" = always

    def service_allowed(self, service: str) -> bool:
        """Afanasy's canRunService: disabled anywhere up the chain -> no; listed anywhere up
        the chain -> yes; no pool of the chain lists any service -> yes; else no."""
        if service in self.services_disabled:
            return False
        return not self.services or service in self.services


# --------------------------------------------------------------------------------------------
# Paths


def normalize_path(path: object, field: str = "path") -> str:
    """``/gpu/big/`` from ``/gpu/big``, ``gpu/big/`` or ``/gpu/big/``; ``/`` for the root.

    Segments are 1-64 letters, digits, ``_ . -`` (not starting with ``.`` or ``-``).
    """
    if not isinstance(path, str):
        raise SpecError(field, f"a pool path must be a string, not {type_name(path)}")
    if path == ROOT:
        return ROOT
    inner = path[1:] if path.startswith("/") else path
    segments = (inner[:-1] if inner.endswith("/") else inner).split("/")
    if len(path) > MAX_NAME_LEN or len(segments) > MAX_DEPTH:
        raise SpecError(field, f"pool path too long: at most {MAX_DEPTH} levels")
    for segment in segments:
        if not _SEGMENT.fullmatch(segment):
            shown = path if len(path) <= 60 else path[:57] + "..."
            raise SpecError(
                field,
                f"bad pool path {shown!r}: each level must be 1-64 letters, digits, '_', '.' "
                "or '-' (not starting with '.' or '-'), separated by single '/'",
            )
    return "/" + "/".join(segments) + "/"


def parent_path(path: str) -> str | None:
    """The parent of a normalized path; None for the root."""
    if path == ROOT:
        return None
    return path[: path.rstrip("/").rfind("/") + 1]


def ancestor_paths(path: str) -> list[str]:
    """A normalized path and its ancestors, root first: ``/``, ``/gpu/``, ``/gpu/big/``."""
    out = [ROOT]
    start = 1
    while True:
        end = path.find("/", start)
        if end < 0:
            return out
        out.append(path[: end + 1])
        start = end + 1


# --------------------------------------------------------------------------------------------
# The tree


class PoolTree:
    """All pools by path. The root always exists and cannot be removed.

    Pools are kept in insertion order (parents before children); :meth:`to_dict` writes them
    in that order and :meth:`pool_for_render` breaks ties by it.
    """

    def __init__(self) -> None:
        self._pools: dict[str, Pool] = {ROOT: Pool.root()}
        self._children: dict[str, list[str]] = {ROOT: []}
        self._patterns: dict[str, Pattern] = {}
        self._effective: dict[str, PoolSettings] = {}

    # ---------------------------------------------------------------- reading

    def __contains__(self, path: object) -> bool:
        return isinstance(path, str) and self._key(path, missing_ok=True) is not None

    def __len__(self) -> int:
        return len(self._pools)

    def __iter__(self):
        return iter(list(self._pools.values()))

    def paths(self) -> list[str]:
        return list(self._pools)

    def get(self, path: str) -> Pool:
        return self._pools[self._key(path)]

    def root(self) -> Pool:
        return self._pools[ROOT]

    def parent(self, path: str) -> Pool | None:
        """The parent pool; None for the root."""
        parent = parent_path(self._key(path))
        return None if parent is None else self._pools[parent]

    def children(self, path: str) -> list[Pool]:
        return [self._pools[p] for p in self._children[self._key(path)]]

    def chain(self, path: str) -> list[Pool]:
        """The pool and its ancestors, root first."""
        return [self._pools[p] for p in ancestor_paths(self._key(path))]

    def pool_for_render(self, name: str) -> str:
        """The deepest pool whose pattern matches the whole render name (ignoring case), else
        the root. Among equally deep matches the first in tree order wins.

        Unlike Afanasy, which only descends into children of a matching pool, any pool can
        catch a render by its own pattern: a grouping pool needs no pattern of its own.
        """
        best, best_depth = ROOT, 0
        for path, regex in self._patterns.items():
            depth = path.count("/") - 1
            if depth > best_depth and regex.fullmatch(name):
                best, best_depth = path, depth
        return best

    def effective(self, path: str) -> PoolSettings:
        """The pool's settings with inheritance resolved; cached until the tree changes."""
        settings = self._effective.get(path)
        if settings is None:
            key = self._key(path)
            settings = self._effective.get(key) or self._resolve(key)
            self._effective[path] = settings
        return settings

    def to_dict(self) -> dict[str, Any]:
        """The farm file: ``{"pools": {path: settings}}``, parents before children."""
        return {"pools": {path: pool.to_json() for path, pool in self._pools.items()}}

    # ---------------------------------------------------------------- changing

    @classmethod
    def from_dict(cls, data: object) -> PoolTree:
        """A tree from a farm file object. Other top-level keys are ignored (they belong to
        other parts of the farm configuration); a missing root gets the defaults."""
        obj = check_object(data, "")
        tree = cls()
        pools = check_object(obj.get("pools", {}), "pools")
        if len(pools) > MAX_POOLS:
            raise SpecError("pools", f"must have at most {MAX_POOLS} pools (got {len(pools)})")
        entries: list[tuple[str, str, dict]] = []
        seen: dict[str, str] = {}
        for key, value in pools.items():
            kpath = key_path("pools", key) if isinstance(key, str) else "pools"
            path = normalize_path(key, kpath)
            if path in seen:
                raise SpecError(kpath, f"pool {path} is listed twice (also as {seen[path]!r})")
            seen[path] = key
            entries.append((path, kpath, check_object(value, kpath)))
        entries.sort(key=lambda entry: entry[0].count("/"))  # parents first; stable otherwise
        for path, kpath, settings in entries:
            if path == ROOT:
                tree._pools[ROOT] = _read_pool(settings, kpath, tree._pools[ROOT])
                continue
            parent = parent_path(path)
            if parent not in tree._pools:
                raise SpecError(kpath, f"parent pool {parent} is not listed")
            tree._insert(_read_pool(settings, kpath, Pool(path)))
        tree._changed()
        return tree

    def add(self, pool: Pool) -> Pool:
        """Add a pool (validated; its parent must exist). Returns the stored pool."""
        path = normalize_path(pool.path)
        if path in self._pools:
            raise SpecError("path", f"pool {path} already exists")
        parent = parent_path(path)
        if parent not in self._pools:
            raise SpecError("path", f"parent pool {parent} does not exist")
        if len(self._pools) >= MAX_POOLS:
            raise SpecError("path", f"the farm has the maximum of {MAX_POOLS} pools")
        stored = _read_pool(pool._settings(), "", Pool(path))
        self._insert(stored)
        self._changed()
        return stored

    def edit(self, path: str, params: object) -> Pool:
        """Change some settings of a pool (a partial update: given keys replace the pool's
        values, maps and lists included). Validated like :meth:`from_dict`, with field paths
        relative to ``params``; nothing changes on error. Returns the new pool."""
        key = self._key(path)
        updated = _read_pool(check_object(params, ""), "", self._pools[key])
        if updated != self._pools[key]:
            self._pools[key] = updated
            self._changed()
        return updated

    def update(self, path: str, **changes: Any) -> Pool:
        """:meth:`edit` with keyword arguments."""
        return self.edit(path, changes)

    def remove(self, path: str) -> Pool:
        """Remove a pool that has no child pools (Afanasy refuses too): remove children
        first. The root cannot be removed. Moving the pool's renders elsewhere is the
        caller's job. Returns the removed pool."""
        key = self._key(path)
        if key == ROOT:
            raise SpecError("path", "the root pool cannot be removed")
        if self._children[key]:
            raise SpecError(
                "path", f"pool {key} has child pools ({', '.join(self._children[key])})"
            )
        pool = self._pools.pop(key)
        del self._children[key]
        self._children[parent_path(key)].remove(key)
        self._changed()
        return pool

    # ---------------------------------------------------------------- internals

    def _key(self, path: str, missing_ok: bool = False) -> str | None:
        if path in self._pools:
            return path
        try:
            key = normalize_path(path)
        except SpecError:
            key = None
        if key is None or key not in self._pools:
            if missing_ok:
                return None
            raise KeyError(path)
        return key

    def _insert(self, pool: Pool) -> None:
        self._pools[pool.path] = pool
        self._children[pool.path] = []
        self._children[parent_path(pool.path)].append(pool.path)

    def _changed(self) -> None:
        self._effective.clear()
        self._patterns = {
            path: compile_pattern(pool.pattern, path, ignore_case=True)
            for path, pool in self._pools.items()
            if pool.pattern
        }

    def _resolve(self, path: str) -> PoolSettings:
        pool = self._pools[path]
        parent_path_ = parent_path(path)
        if parent_path_ is None:
            return _root_settings(pool)
        up = self.effective(parent_path_)

        def pick(own, inherited):
            return inherited if own == INHERIT else own

        tickets_host = dict(up.tickets_host)
        for name, count in pool.tickets_host.items():
            if count != INHERIT:
                tickets_host[name] = count
        tickets_pool = dict(up.tickets_pool)
        for name, ticket in pool.tickets_pool.items():
            if ticket != PoolTicket():
                tickets_pool[name] = ((path, ticket), *tickets_pool.get(name, ()))
        properties = " ".join(p for p in (up.properties, pool.properties_host.strip()) if p)
        return PoolSettings(
            path=path,
            capacity_host=pick(pool.capacity_host, up.capacity_host),
            max_tasks_host=pick(pool.max_tasks_host, up.max_tasks_host),
            power_host=pick(pool.power_host, up.power_host),
            properties=properties,
            heartbeat_period=pick(pool.heartbeat_period, up.heartbeat_period),
            zombie_time=pick(pool.zombie_time, up.zombie_time),
            sick_errors_count=pick(pool.sick_errors_count, up.sick_errors_count),
            priority=(pool.priority + up.priority) // 2,
            paused=up.paused or pool.paused,
            ready=up.ready and not pool.paused and pool.priority > 0,
            services=up.services | frozenset(pool.services),
            services_disabled=up.services_disabled | frozenset(pool.services_disabled),
            tickets_host=MappingProxyType(tickets_host),
            tickets_pool=MappingProxyType(tickets_pool),
            **{key: pick(getattr(pool, key), getattr(up, key)) for key in AUTO_NIMBY_KEYS},
            render_hours=pool.render_hours or up.render_hours,
        )


def _root_settings(root: Pool) -> PoolSettings:
    return PoolSettings(
        path=ROOT,
        capacity_host=root.capacity_host,
        max_tasks_host=root.max_tasks_host,
        power_host=root.power_host,
        properties=root.properties_host.strip(),
        heartbeat_period=root.heartbeat_period,
        zombie_time=root.zombie_time,
        sick_errors_count=root.sick_errors_count,
        priority=root.priority,
        paused=root.paused,
        ready=not root.paused and root.priority > 0,
        services=frozenset(root.services),
        services_disabled=frozenset(root.services_disabled),
        tickets_host=MappingProxyType(
            {name: count for name, count in root.tickets_host.items() if count != INHERIT}
        ),
        tickets_pool=MappingProxyType(
            {
                name: ((ROOT, ticket),)
                for name, ticket in root.tickets_pool.items()
                if ticket != PoolTicket()
            }
        ),
        **{key: getattr(root, key) for key in AUTO_NIMBY_KEYS},
        render_hours=root.render_hours,
    )


# --------------------------------------------------------------------------------------------
# The settings table and validation.


class Setting(NamedTuple):
    """A pool setting: its kind (which reader checks it), its limits (a number's range; the
    most characters of a text or entries of a list; a ticket count's range), the own value
    that takes the parent's (None: not inherited; properties, services and tickets add to
    the parent's), what that value means on the root ("": the root must give a value), and
    what the setting means."""

    kind: str
    lo: float
    hi: float
    inherit: Any
    root_inherit: str
    description: str


def _threshold(what: str, figure: str, hi: float, low_is_busy: bool) -> dict[str, Setting]:
    """The busy_ and idle_ settings of one figure of the render states automation."""
    busy, idle = ("below", "above") if low_is_busy else ("above", "below")
    return {
        f"busy_{what}": Setting(
            "number", 0, hi, INHERIT, "off", f"{figure} at or {busy} which the machine is busy."
        ),
        f"idle_{what}": Setting(
            "number", 0, hi, INHERIT, "off", f"{figure} at or {idle} which it may count as idle."
        ),
    }


SETTINGS: dict[str, Setting] = {
    "pattern": Setting(
        "pattern",
        0,
        MAX_PATTERN_LEN,
        None,
        "",
        "Renders whose whole name matches this regular expression (any case) join the pool.",
    ),
    "priority": Setting(
        "integer",
        0,
        MAX_PRIORITY,
        None,
        "",
        "Higher: its renders get work first; averaged with the parent's; 0 = no tasks.",
    ),
    "paused": Setting("boolean", 0, 0, None, "", "The pool's renders take no tasks."),
    "capacity_host": Setting(
        "integer",
        0,
        MAX_CAPACITY,
        INHERIT,
        "",
        "Capacity of each render; a running task holds its block's capacity.",
    ),
    "max_tasks_host": Setting(
        "integer", 0, MAX_TASKS, INHERIT, "", "Most tasks a render runs at once."
    ),
    "power_host": Setting(
        "integer", 0, MAX_POWER, INHERIT, "unknown", "A render's relative power (Afanasy's)."
    ),
    "properties_host": Setting(
        "words",
        0,
        MAX_PROPERTIES_LEN,
        None,
        "",
        "Properties of the renders (for need_properties), added to the parent's.",
    ),
    "services": Setting(
        "services",
        0,
        MAX_ENTRIES,
        None,
        "",
        "Services the renders run, with the parents'; none listed up the chain = all.",
    ),
    "services_disabled": Setting(
        "services", 0, MAX_ENTRIES, None, "", "Services the renders never run, with the parents'."
    ),
    "heartbeat_period": Setting(
        "seconds",
        MIN_HEARTBEAT,
        MAX_HEARTBEAT,
        INHERIT,
        "",
        "Seconds between a render's heartbeats.",
    ),
    "zombie_time": Setting(
        "seconds",
        MIN_ZOMBIE_TIME,
        MAX_ZOMBIE_TIME,
        INHERIT,
        "",
        "Seconds without a heartbeat after which a render is gone.",
    ),
    "sick_errors_count": Setting(
        "integer",
        0,
        MAX_SICK_ERRORS,
        INHERIT,
        "off",
        "Errors from this many users make a render sick; 0 = off.",
    ),
    "tickets_pool": Setting(
        "tickets_pool",
        INHERIT,
        MAX_TICKETS,
        None,
        "",
        'Tickets in use at once in the pool: name: {"count", "max_hosts"}; -1 = no limit.',
    ),
    "tickets_host": Setting(
        "tickets_host",
        INHERIT,
        MAX_TICKETS,
        None,
        "",
        "Tickets each render has: name: count; -1 = the parent's.",
    ),
    "annotation": Setting("text", 0, MAX_TEXT_LEN, None, "", "A note shown with the pool."),
    "busy_nimby_time": Setting(
        "number",
        0,
        MAX_AUTO_TIME,
        INHERIT,
        "off",
        "Seconds busy after which a free render turns NIMBY.",
    ),
    "idle_free_time": Setting(
        "number",
        0,
        MAX_AUTO_TIME,
        INHERIT,
        "off",
        "Seconds idle after which a nimby or NIMBY render turns free.",
    ),
    "idle_user_time": Setting(
        "number",
        0,
        MAX_AUTO_TIME,
        INHERIT,
        "off",
        "Seconds of no user input below which the user counts as active.",
    ),
    **_threshold("cpu", "CPU busy %", MAX_PERCENT, False),
    **_threshold("mem", "Memory used %", MAX_PERCENT, False),
    **_threshold("swp", "Swap used %", MAX_PERCENT, False),
    **_threshold("hddgb", "Disk free GB", MAX_HDD_GB, True),
    **_threshold("hddio", "Disk busy %", MAX_PERCENT, False),
    **_threshold("netmbs", "Network MB/s", MAX_NET_MBS, False),
    "render_hours": Setting(
        "hours",
        0,
        MAX_HOURS_LEN,
        "",
        "always",
        "When the farm may use the renders, e.g. mon-fri 19:00-07:00.",
    ),
}
if tuple(SETTINGS) != POOL_KEYS:
    raise RuntimeError(f"Pool and SETTINGS differ: {set(SETTINGS) ^ set(POOL_KEYS)}")


def settings_schema(root: bool) -> dict:
    """The JSON schema of a pool's settings (the root's when ``root``), from SETTINGS: an
    inheriting number is ``{"anyOf": [{"const": -1, "title": "inherit"}, its range]}``
    (the title is what -1 means on the root, and the root gets no -1 where it has none)."""
    properties = {}
    for key, setting in SETTINGS.items():
        schema = _SCHEMA_OF_KIND[setting.kind](setting)
        if setting.inherit == INHERIT and (setting.root_inherit or not root):
            title = setting.root_inherit if root else "inherit"
            schema = {"anyOf": [{"const": INHERIT, "title": title}, schema]}
        properties[key] = {**schema, "description": setting.description}
    if root:
        del properties["pattern"]  # every render belongs to the root
    return {"type": "object", "properties": properties, "additionalProperties": False}


def _range(kind: str):
    return lambda s: {"type": kind, "minimum": s.lo, "maximum": s.hi}


def _count(s: Setting) -> dict:
    return {"type": "integer", "minimum": s.lo, "maximum": s.hi}


_SCHEMA_OF_KIND = {
    "integer": _range("integer"),
    "seconds": _range("number"),
    "number": _range("number"),
    "boolean": lambda s: {"type": "boolean"},
    "pattern": lambda s: {"type": "string", "maxLength": s.hi, "format": "regex"},
    "words": lambda s: {"type": "string", "maxLength": s.hi},
    "text": lambda s: {"type": "string", "maxLength": s.hi},
    "hours": lambda s: {"type": "string", "maxLength": s.hi},
    "services": lambda s: {
        "type": "array",
        "items": {"type": "string", "pattern": f"^{_SERVICE.pattern}$"},
        "maxItems": s.hi,
    },
    "tickets_pool": lambda s: {
        "type": "object",
        "additionalProperties": {
            "anyOf": [
                _count(s),
                {
                    "type": "object",
                    "properties": {"count": _count(s), "max_hosts": _count(s)},
                    "additionalProperties": False,
                },
            ]
        },
        "maxProperties": MAX_ENTRIES,
    },
    "tickets_host": lambda s: {
        "type": "object",
        "additionalProperties": _count(s),
        "maxProperties": MAX_ENTRIES,
    },
}


def _read_pool(obj: dict, prefix: str, base: Pool) -> Pool:
    """``base`` with the keys of ``obj`` applied, every value checked by its setting's
    reader (which takes the value, its field path, whether the pool is the root and the
    setting, and returns the checked value)."""
    changes: dict[str, Any] = {}
    root = base.is_root
    for key, value in obj.items():
        fpath = join_path(prefix, key) if isinstance(key, str) else prefix
        if key == "path":
            raise SpecError(fpath, "a pool's path cannot be changed (it is the pool's key)")
        if key not in SETTINGS:
            raise SpecError(
                fpath, f"is not a pool setting (settings: {', '.join(sorted(POOL_KEYS))})"
            )
        setting = SETTINGS[key]
        changes[key] = _READERS[setting.kind](value, fpath, root, setting)
    return replace(base, **changes) if changes else base


def _pattern(value: object, path: str, root: bool, setting: Setting) -> str:
    text = check_text(value, path, int(setting.hi))
    if text and root:
        raise SpecError(path, "the root pool has no pattern (every render belongs to it)")
    if text:
        compile_pattern(text, path, ignore_case=True)
    return text


def _boolean(value: object, path: str, root: bool, setting: Setting) -> bool:
    if not isinstance(value, bool):
        raise SpecError(path, f"must be true or false, not {type_name(value)}")
    return value


def _integer(value: object, path: str, root: bool, setting: Setting) -> int:
    """lo..hi, or -1 where the setting inherits (on the root only where -1 has a meaning)."""
    inherits = setting.inherit == INHERIT
    number = _int(value, path, INHERIT if inherits else int(setting.lo), int(setting.hi))
    if inherits and number == INHERIT and root and not setting.root_inherit:
        raise SpecError(path, "the root pool cannot inherit (-1): give a value")
    return number


def _seconds(value: object, path: str, root: bool, setting: Setting) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SpecError(path, f"must be a number of seconds, not {type_name(value)}")
    if not math.isfinite(value):
        raise SpecError(path, "must be a finite number")
    if value == INHERIT:
        if root:
            raise SpecError(path, "the root pool cannot inherit (-1): give a value")
        return float(INHERIT)
    if not setting.lo <= value <= setting.hi:
        raise SpecError(path, f"must be -1 (inherit) or {setting.lo:g}..{setting.hi:g} seconds")
    return float(value)


def _number(value: object, path: str, root: bool, setting: Setting) -> float:
    """-1 (inherit; off on the root) or a number lo..hi, kept as given (int or float)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SpecError(path, f"must be a number, not {type_name(value)}")
    if not math.isfinite(value):
        raise SpecError(path, "must be a finite number")
    if value != INHERIT and not setting.lo <= value <= setting.hi:
        raise SpecError(path, f"must be -1 (inherit/off) or {setting.lo:g}..{setting.hi:g}")
    return value


def _hours(value: object, path: str, root: bool, setting: Setting) -> str:
    """Render hours text, kept as given once it parses (app/core/render_hours.py)."""
    text = check_text(value, path, int(setting.hi), name=True)
    parse_hours(text, path)
    return text


def _words(value: object, path: str, root: bool, setting: Setting) -> str:
    return check_text(value, path, int(setting.hi), name=True)


def _text(value: object, path: str, root: bool, setting: Setting) -> str:
    return check_text(value, path, int(setting.hi))


def _services(value: object, path: str, root: bool, setting: Setting) -> tuple[str, ...]:
    if not isinstance(value, list | tuple):
        raise SpecError(path, f"must be an array of service names, not {type_name(value)}")
    if len(value) > setting.hi:
        raise SpecError(path, f"must have at most {setting.hi} entries (got {len(value)})")
    out: dict[str, None] = {}
    for i, name in enumerate(value):
        ipath = f"{path}[{i}]"
        if not isinstance(name, str):
            raise SpecError(ipath, f"must be a service name, not {type_name(name)}")
        if not _SERVICE.fullmatch(name):
            raise SpecError(
                ipath, "must be 1-64 letters, digits, '_' or '-' (not starting with '-')"
            )
        out[name] = None
    return tuple(out)


def _tickets_pool(value: object, path: str, root: bool, setting: Setting) -> dict[str, PoolTicket]:
    lo, hi = int(setting.lo), int(setting.hi)
    out = {}
    for name, item in _ticket_map(value, path).items():
        tpath = key_path(path, name)
        if isinstance(item, int) and not isinstance(item, bool):  # shorthand: the count
            out[name] = PoolTicket(_int(item, tpath, lo, hi))
            continue
        if not isinstance(item, dict):
            raise SpecError(
                tpath,
                f'must be {{"count": N, "max_hosts": M}} or a count, not {type_name(item)}',
            )
        for k in item:
            if k not in ("count", "max_hosts"):
                raise SpecError(join_path(tpath, str(k)), "is not a ticket key (count, max_hosts)")
        count, max_hosts = (
            _int(item.get(key, INHERIT), join_path(tpath, key), lo, hi)
            for key in ("count", "max_hosts")
        )
        out[name] = PoolTicket(count, max_hosts)
    return out


def _tickets_host(value: object, path: str, root: bool, setting: Setting) -> dict[str, int]:
    return {
        name: _int(count, key_path(path, name), int(setting.lo), int(setting.hi))
        for name, count in _ticket_map(value, path).items()
    }


def _ticket_map(value: object, path: str) -> dict[str, Any]:
    mapping = check_object(value, path)
    if len(mapping) > MAX_ENTRIES:
        raise SpecError(path, f"must have at most {MAX_ENTRIES} tickets (got {len(mapping)})")
    for name in mapping:
        if not isinstance(name, str):
            raise SpecError(path, f"ticket names must be strings, not {type_name(name)}")
        kpath = key_path(path, name)
        check_text(name, kpath, MAX_NAME_LEN, name=True)
        if not name:
            raise SpecError(kpath, "ticket name must not be empty")
    return mapping


_READERS = {
    "pattern": _pattern,
    "integer": _integer,
    "boolean": _boolean,
    "words": _words,
    "services": _services,
    "seconds": _seconds,
    "tickets_pool": _tickets_pool,
    "tickets_host": _tickets_host,
    "text": _text,
    "number": _number,
    "hours": _hours,
}


def _int(value: object, path: str, lo: int, hi: int) -> int:
    number = json_integer(value)
    if number is None:
        raise SpecError(path, f"must be an integer, not {type_name(value)}")
    if not lo <= number <= hi:
        raise SpecError(path, f"must be {lo}..{hi}")
    return number
