"""A Maya scene's Corral job: read the scene (:func:`read_scene`), make the jobs of the window's
settings (:func:`build_jobs`: a block per render layer, or a job per layer) and send them
(:func:`submit`, which saves the scene first).

The blocks are numeric blocks of the maya services (app/services/maya.py), each with the
``Render`` command line those services write.
"""

import os
import shlex
import subprocess
from collections import namedtuple

from maya import cmds

from . import api

GLOBALS = "defaultRenderGlobals"
# Maya's renderer name (defaultRenderGlobals.currentRenderer) -> the farm's service, the value
# of Render -r and the renderer's own flags (the service's defaults).
Renderer = namedtuple("Renderer", "service flag extra")
RENDERERS = {
    "arnold": Renderer("maya_arnold", "arnold", ("-ai:lve", "2")),
    "vray": Renderer("maya_vray", "vray", ()),
    "redshift": Renderer("maya_redshift", "redshift", ()),
    "renderman": Renderer("maya_prman", "renderman", ()),
    "mayaSoftware": Renderer("maya", "sw", ()),
    "mayaHardware2": Renderer("maya", "hw2", ()),
}

# What a job needs of the scene.
Scene = namedtuple(
    "Scene", "path project images image_prefix renderer first last step layers cameras"
)
# The window's settings; camera "" renders the scene's renderable cameras.
Settings = namedtuple(
    "Settings", "server job_name frames_per_task priority paused camera job_per_layer"
)


def command_line(words):
    """A command line of words, quoted for this machine's shell (the farm's, presumably)."""
    if os.name == "nt":
        return subprocess.list2cmdline(words)
    return " ".join(shlex.quote(word) for word in words)


def _frame(attribute):
    return int(round(cmds.getAttr(GLOBALS + "." + attribute)))


def _renderable(nodes):
    return [node for node in nodes if cmds.getAttr(node + ".renderable")]


def _cameras():
    """The transforms of the renderable cameras."""
    found = []
    for shape in _renderable(cmds.ls(type="camera") or []):
        parents = cmds.listRelatives(shape, parent=True) or [shape]
        found.append(parents[0])
    return found


def read_scene():
    """The open scene, as a job needs it; ValueError when it has never been saved."""
    path = cmds.file(query=True, sceneName=True)
    if not path:
        raise ValueError("save the scene once first (File > Save Scene As)")
    return Scene(
        path=path,
        project=cmds.workspace(query=True, rootDirectory=True),
        images=cmds.workspace(expandName=cmds.workspace(fileRuleEntry="images")),
        image_prefix=cmds.getAttr(GLOBALS + ".imageFilePrefix") or "",
        renderer=cmds.getAttr(GLOBALS + ".currentRenderer"),
        first=_frame("startFrame"),
        last=_frame("endFrame"),
        step=max(1, _frame("byFrameStep")),
        layers=_renderable(cmds.ls(type="renderLayer") or []),
        cameras=_cameras(),
    )


def default_job_name(scene):
    return os.path.splitext(os.path.basename(scene.path))[0]


def render_block(settings, scene, layer):
    """A numeric block rendering one layer with ``Render``, as the maya services write it."""
    renderer = RENDERERS.get(scene.renderer)
    if renderer is None:
        known = ", ".join(sorted(RENDERERS))
        raise ValueError(f"the farm cannot render with {scene.renderer!r} (it knows {known})")
    words = ["Render", "-r", renderer.flag] + list(renderer.extra)
    words += ["-s", "@#@", "-e", "@#@", "-b", str(scene.step), "-rl", layer]
    if settings.camera:
        words += ["-cam", settings.camera]
    words += ["-proj", scene.project, "-rd", scene.images]
    if scene.image_prefix:
        words += ["-im", scene.image_prefix]
    words.append(scene.path)
    block = api.Block(layer, renderer.service, command=command_line(words))
    block.set("working_directory", scene.project)
    per_task = max(1, settings.frames_per_task)
    return block.frames(scene.first, scene.last, per_task, scene.step)


def _job(settings, name):
    return api.Job(name, priority=settings.priority, offline=settings.paused)


def build_jobs(settings, scene):
    """The jobs of the settings: one with a block per renderable layer, or one per layer."""
    if not scene.layers:
        raise ValueError("no render layer is renderable")
    name = settings.job_name.strip() or default_job_name(scene)
    if settings.job_per_layer:
        jobs = []
        for layer in scene.layers:
            job = _job(settings, f"{name} {layer}")
            job.add_block(render_block(settings, scene, layer))
            jobs.append(job)
        return jobs
    job = _job(settings, name)
    for layer in scene.layers:
        job.add_block(render_block(settings, scene, layer))
    return [job]


def submit(settings):
    """Save the scene and submit its jobs; returns their ids. ValueError when the scene cannot
    make a job, api.CorralError with the server's message when it refuses one."""
    scene = read_scene()
    jobs = build_jobs(settings, scene)
    cmds.file(save=True)
    client = api.Client(settings.server.strip() or None)
    return [client.submit(job) for job in jobs]
