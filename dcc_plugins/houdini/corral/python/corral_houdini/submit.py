"""The selected ROPs of a hip file as a Corral job, and the shelf tool that submits them.

A block per ROP, run by hython with the hbatch services (app/services/houdini.py), whose command
line this module writes. A ROP's inputs among the selected ROPs become its block's dependencies:
on a render ROP, the whole block (``depend_mask``); on a cache ROP (a geometry or Alembic
cache, e.g. a simulation's), frame by frame (``tasks_depend_mask``). A cache renders its whole
range in one task, as a simulation must, and reports each frame it writes
(``depend_sub_task``): the renders of its frames start while it still runs.
"""

import os
import re
import shlex
import subprocess
from collections import namedtuple

import hou

from . import api

# A ROP's type name -> the farm's service; any other ROP renders with hbatch.
SERVICES = {
    "ifd": "hbatch_mantra",
    "karma": "hbatch_karma",
    "usdrender": "hbatch_karma",
    "usdrender_rop": "hbatch_karma",
    "Redshift_ROP": "hbatch_redshift",
    "arnold": "hbatch_arnold",
}
CACHES = ("geometry", "rop_geometry", "alembic", "rop_alembic", "filecache")
RENDER_SCRIPT = "@CORRAL_SCRIPTS@/houdini_render.py"  # the render puts its own path there

Settings = namedtuple("Settings", "server job_name frames_per_task priority paused")
Rop = namedtuple("Rop", "name path service cache first last step inputs")
_FIELDS = ("Server", "Job name", "Frames per task", "Priority", "Paused (yes/no)")


def command_line(words):
    """A command line of words, quoted for this machine's shell (the farm's, presumably)."""
    if os.name == "nt":
        return subprocess.list2cmdline(words)
    return " ".join(shlex.quote(word) for word in words)


def hip_path():
    """The hip file; ValueError when it has never been saved."""
    if hou.hipFile.isNewFile():
        raise ValueError("save the hip file once first (File > Save As)")
    return hou.hipFile.path()


def _frames(rop):
    """(first, last, step) of the ROP's Valid Frame Range: the current frame, or its range."""
    if rop.parm("trange").eval() == 0:
        frame = int(round(hou.frame()))
        return frame, frame, 1
    first, last, step = rop.parmTuple("f").eval()
    return int(round(first)), int(round(last)), max(1, int(round(step)))


def read_rops():
    """The selected ROPs, as blocks need them; ValueError when none is selected."""
    nodes = [node for node in hou.selectedNodes() if isinstance(node, hou.RopNode)]
    if not nodes:
        raise ValueError("select the ROPs to render (in /out or a ROP network)")
    paths = {node.path() for node in nodes}
    rops = []
    for node in nodes:
        kind = node.type().name()
        inputs = [n for n in node.inputs() if n is not None and n.path() in paths]
        rops.append(
            Rop(
                node.name(),
                node.path(),
                SERVICES.get(kind, "hbatch"),
                kind in CACHES,
                *_frames(node),
                inputs=[(n.name(), n.type().name() in CACHES) for n in inputs],
            )
        )
    return rops


def _mask(names):
    return "|".join(re.escape(name) for name in names)


def rop_block(settings, hip, rop):
    words = ["hython", RENDER_SCRIPT, "--hip", hip, "--rop", rop.path]
    words += ["--start", "@#@", "--end", "@#@", "--step", str(rop.step)]
    block = api.Block(rop.name, rop.service, command=command_line(words))
    block.set("working_directory", os.path.dirname(hip))
    whole_blocks = [name for name, cache in rop.inputs if not cache]
    by_frame = [name for name, cache in rop.inputs if cache]
    if whole_blocks:
        block.set("depend_mask", _mask(whole_blocks))
    if by_frame:
        block.set("tasks_depend_mask", _mask(by_frame))
    if rop.cache:
        block.set("depend_sub_task", True)
        per_task = (rop.last - rop.first) // rop.step + 1
    else:
        per_task = max(1, settings.frames_per_task)
    return block.frames(rop.first, rop.last, per_task, rop.step)


def build_job(settings, hip, rops):
    name = settings.job_name.strip() or os.path.splitext(os.path.basename(hip))[0]
    job = api.Job(name, priority=settings.priority, offline=settings.paused)
    for rop in rops:
        job.add_block(rop_block(settings, hip, rop))
    return job


def submit(settings):
    """Save the hip file and submit the selected ROPs; returns the job id. ValueError when they
    cannot make a job, api.CorralError with the server's message when it refuses it."""
    hip = hip_path()
    job = build_job(settings, hip, read_rops())
    hou.hipFile.save()
    return api.Client(settings.server.strip() or None).submit(job)


def _settings(values):
    server, job_name, per_task, priority, paused = (value.strip() for value in values)
    numbers = []
    for label, text in ((_FIELDS[2], per_task), (_FIELDS[3], priority)):
        try:
            numbers.append(int(text))
        except ValueError:
            raise ValueError(f"{label}: {text!r} is not a whole number") from None
    return Settings(server, job_name, numbers[0], numbers[1], paused.lower() in ("yes", "y"))


def submit_selected():
    """The shelf tool: ask for the settings, submit, and tell the job id or the error."""
    button, values = hou.ui.readMultiInput(
        "Submit the selected ROPs to Corral",
        _FIELDS,
        buttons=("Submit", "Cancel"),
        default_choice=0,
        close_choice=1,
        title="Corral",
        initial_contents=(api.default_server(), "", "10", "99", "no"),
    )
    if button != 0:
        return
    try:
        job_id = submit(_settings(values))
    except (ValueError, api.CorralError) as exc:
        hou.ui.displayMessage(f"Not submitted: {exc}", title="Corral")
        return
    hou.ui.displayMessage(f"Submitted job {job_id}", title="Corral")
