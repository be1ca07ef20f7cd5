"""The Corral job of a Blender scene: a block per view layer, and a movie of each if asked.

No bpy here: the operator reads the scene into a :class:`Shot` and the panel's settings, and
this module makes the job with the client API (``corral_api``, put beside this package by
``corral plugins install``). Python 3.7 syntax, like the API.
"""

import os
import re
import shlex
import subprocess
from collections import namedtuple

from .corral_api import api

# What the job needs of the scene: the farm's copy of the .blend and the view layer script
# beside it, the output path (absolute, as render.filepath: '#' for the frame digits, else four
# are appended), the image extension Blender adds (".png", or "" when it adds none), the frame
# range and step, the frame rate and the names of the view layers to render.
Shot = namedtuple("Shot", "blend layer_script output extension first last step fps layers")

_HASHES = re.compile(r"#+")


def command_line(words):
    """A command line of words, quoted for this machine's shell (the farm's, presumably)."""
    if os.name == "nt":
        return subprocess.list2cmdline(words)
    return " ".join(shlex.quote(word) for word in words)


def parse_pools(text):
    """``"/gpu/, /old/=-100"`` -> ``{"/gpu/": 100, "/old/": -100}``: a pool alone is exclusive
    (100), or it takes the priority after ``=`` (-100 forbids it); ValueError when malformed."""
    pools = {}
    for item in text.split(","):
        name, sep, value = item.strip().partition("=")
        name = name.strip()
        if not name:
            if sep or value:
                raise ValueError(f"pools: a pool name is missing in {text!r}")
            continue
        try:
            pools[name] = int(value) if sep else 100
        except ValueError:
            raise ValueError(f"pools: {value!r} is not a number (in {item!r})") from None
    return pools


def layer_output(shot, layer):
    """Where a view layer's frames go: the scene's output, in a folder per layer when there
    are several."""
    if len(shot.layers) == 1:
        return shot.output
    folder, name = os.path.split(shot.output)
    return os.path.join(folder, layer, name)


def sequence(output, extension):
    """ffmpeg's pattern of the frames Blender writes to output (``f_####`` -> ``f_%04d.png``)."""
    folder, name = os.path.split(output)
    runs = _HASHES.findall(name)
    if runs:
        at = name.rindex(runs[-1])
        name = f"{name[:at]}%0{len(runs[-1])}d{name[at + len(runs[-1]) :]}"
    else:
        name += "%04d"
    return os.path.join(folder, name + extension)


def render_block(settings, shot, layer):
    words = ["blender", "-b", shot.blend, "-P", shot.layer_script, "-o", layer_output(shot, layer)]
    tail = " -s @#@ -e @#@" + (f" -j {shot.step}" if shot.step > 1 else "")
    command = f"{command_line(words)}{tail} -a -- {command_line([layer])}"
    block = api.Block(layer, "blender", command=command)
    block.set("working_directory", os.path.dirname(shot.blend))
    return block.frames(shot.first, shot.last, max(1, settings.frames_per_task), shot.step)


def movie_block(name, shot, layer):
    """One ffmpeg task over the layer's frames; it waits for them (tasks_depend_mask)."""
    output = layer_output(shot, layer)
    movie = os.path.join(os.path.dirname(output), name + ".mp4")
    head = ["ffmpeg", "-y", "-hide_banner", "-stats", "-framerate", f"{shot.fps:g}"]
    tail = ["-i", sequence(output, shot.extension), "-c:v", "libx264", "-pix_fmt", "yuv420p"]
    command = f"{command_line(head)} -start_number @#@ {command_line(tail + [movie])}"
    block = api.Block(layer + " movie", "ffmpeg", command=command)
    block.set("tasks_depend_mask", re.escape(layer))
    return block.frames(shot.first, shot.last, shot.last - shot.first + 1)


def build_job(settings, shot, default_name):
    """The job of the panel's settings (``scene.corral``) and the shot; ValueError when the
    settings cannot make one."""
    if not shot.layers:
        raise ValueError("no view layer is set to render")
    if settings.make_movie and shot.step != 1:
        raise ValueError("a movie needs every frame: set the frame step to 1 or turn off the movie")
    name = settings.job_name.strip() or default_name
    job = api.Job(name, priority=settings.priority, offline=settings.paused)
    for key in ("hosts_mask", "depend_mask"):
        if getattr(settings, key).strip():
            job.set(key, getattr(settings, key).strip())
    pools = parse_pools(settings.pools)
    if pools:
        job.set("pools", pools)
    for layer in shot.layers:
        job.add_block(render_block(settings, shot, layer))
    if settings.make_movie:
        stem = os.path.splitext(name)[0]
        for layer in shot.layers:
            job.add_block(movie_block(stem, shot, layer))
    return job
