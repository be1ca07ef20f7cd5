"""A Nuke script's Corral job: a block per Write node (the selected ones, or all), each over its
own frame range and views, waiting for the Write nodes upstream of it in the node graph (or
whose files its Read nodes read).

The blocks are numeric blocks of the nuke service (app/services/nuke.py), each with the
``nuke -X <write> -x <script>`` command line that service writes.
"""

import os
import re
import shlex
import subprocess
from collections import namedtuple

import nuke

from . import api

# The panel's settings; selected_only: the selected Write nodes, else all of them.
Settings = namedtuple("Settings", "server job_name frames_per_task priority paused selected_only")
# What a block needs of a Write node.
Write = namedtuple("Write", "name first last views sources")


def command_line(words):
    """A command line of words, quoted for this machine's shell (the farm's, presumably)."""
    if os.name == "nt":
        return subprocess.list2cmdline(words)
    return " ".join(shlex.quote(word) for word in words)


def script_path():
    """The script's file; ValueError when it has never been saved."""
    try:
        return nuke.scriptName()
    except RuntimeError:
        raise ValueError("save the script once first (File > Save Comp As)") from None


def _writes(selected_only):
    nodes = nuke.selectedNodes("Write") if selected_only else nuke.allNodes("Write")
    return [node for node in nodes if not node["disable"].value()]


def _frame_range(node):
    """The Write node's own range when its limit is on, else the script's."""
    if node["use_limit"].value():
        return int(node["first"].value()), int(node["last"].value())
    root = nuke.root()
    return int(root["first_frame"].value()), int(root["last_frame"].value())


def _views(node):
    """The views the Write node writes (none to name in a script without views)."""
    knob = node.knob("views")
    return knob.value().split() if knob is not None else []


def _sources(node, writes):
    """The names of the Write nodes among writes that node's image comes from: upstream in the
    graph, or written to a file one of its upstream Read nodes reads."""
    names = {write.name() for write in writes}
    by_file = {write["file"].value(): write.name() for write in writes}
    found, seen, todo = set(), set(), list(node.dependencies())
    while todo:
        upstream = todo.pop()
        if upstream.name() in seen:
            continue
        seen.add(upstream.name())
        if upstream.name() in names:
            found.add(upstream.name())
            continue  # what it waits for, this node waits for through it
        if upstream.Class() == "Read" and upstream["file"].value() in by_file:
            found.add(by_file[upstream["file"].value()])
        todo.extend(upstream.dependencies())
    return sorted(found)


def read_writes(selected_only):
    """The Write nodes to render, as blocks need them; ValueError when there are none."""
    writes = _writes(selected_only)
    if not writes:
        which = "selected" if selected_only else "enabled"
        raise ValueError(f"no {which} Write node to render")
    return [
        Write(
            node.name(),
            *_frame_range(node),
            views=_views(node),
            sources=_sources(node, writes),
        )
        for node in writes
    ]


def render_block(settings, script, write):
    words = ["nuke"]
    if write.views:
        words += ["--view", ",".join(write.views)]
    words += ["-F", "@#@-@#@", "-X", write.name, "-x", script]
    block = api.Block(write.name, "nuke", command=command_line(words))
    block.set("working_directory", os.path.dirname(script))
    if write.sources:
        block.set("depend_mask", "|".join(re.escape(name) for name in write.sources))
    return block.frames(write.first, write.last, max(1, settings.frames_per_task))


def build_job(settings, script, writes):
    name = settings.job_name.strip() or os.path.splitext(os.path.basename(script))[0]
    job = api.Job(name, priority=settings.priority, offline=settings.paused)
    for write in writes:
        job.add_block(render_block(settings, script, write))
    return job


def submit(settings):
    """Save the script and submit its job; returns the job id. ValueError when the script
    cannot make a job, api.CorralError with the server's message when it refuses it."""
    script = script_path()
    job = build_job(settings, script, read_writes(settings.selected_only))
    nuke.scriptSave()
    return api.Client(settings.server.strip() or None).submit(job)
