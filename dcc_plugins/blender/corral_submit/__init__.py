"""Corral Submit for Blender: a "Corral" panel in Output Properties and ``corral.submit``.

An extension for Blender 4.2+ (blender_manifest.toml) that also loads as a legacy add-on
(``bl_info``). ``corral plugins install blender`` puts it, with the client API as
``corral_api`` inside it, in Blender's user extensions folder. The settings live on the scene
(``scene.corral``); the operator saves a copy of the .blend for the farm in a ``corral`` folder
beside it (the artist keeps working on theirs), submits a block per view layer through the
blender service (and a movie through the ffmpeg service when asked), and reports the job id
or the server's error.
"""

import os
import shutil
import time

import bpy

from . import farm_job
from .corral_api import api

bl_info = {
    "name": "Corral Submit",
    "author": "Corral",
    "version": (0, 1, 0),
    "blender": (2, 93, 0),
    "location": "Properties > Output > Corral",
    "description": "Render the scene on a Corral render farm",
    "category": "Render",
}

FARM_FOLDER = "corral"  # beside the .blend: the copies the farm renders
LAYER_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "view_layer.py")


class CorralSettings(bpy.types.PropertyGroup):
    """The scene's Corral settings (``scene.corral``)."""

    server: bpy.props.StringProperty(
        name="Server", description="The Corral server; empty: $CORRAL_SERVER or this machine"
    )
    job_name: bpy.props.StringProperty(name="Job Name", description="Empty: the file name")
    frames_per_task: bpy.props.IntProperty(name="Frames per Task", default=1, min=1)
    priority: bpy.props.IntProperty(name="Priority", default=99, min=0, max=250)
    paused: bpy.props.BoolProperty(name="Paused", description="Submit the job paused")
    hosts_mask: bpy.props.StringProperty(
        name="Hosts Mask",
        description="The renders to use: names starting with one of these words (gpu r1)",
    )
    pools: bpy.props.StringProperty(
        name="Pools", description="Pools to render in: /gpu/, or /gpu/=50 (-100 forbids)"
    )
    depend_mask: bpy.props.StringProperty(
        name="Depends On", description="A regular expression of the jobs to wait for"
    )
    make_movie: bpy.props.BoolProperty(
        name="Make a Movie", description="An ffmpeg movie of each view layer's frames"
    )
    job_id: bpy.props.IntProperty(name="Last Job", description="The job last submitted")


def read_shot(scene, blend):
    """What the job needs of the scene, for the farm's copy ``blend``."""
    render = scene.render
    return farm_job.Shot(
        blend=blend,
        layer_script=os.path.join(os.path.dirname(blend), os.path.basename(LAYER_SCRIPT)),
        output=os.path.normpath(bpy.path.abspath(render.filepath)),
        extension=render.file_extension if render.use_file_extension else "",
        first=scene.frame_start,
        last=scene.frame_end,
        step=scene.frame_step,
        fps=render.fps / render.fps_base,
        layers=[layer.name for layer in scene.view_layers if layer.use],
    )


def farm_copy_path(filepath):
    folder, name = os.path.split(filepath)
    stem = os.path.splitext(name)[0]
    return os.path.join(
        folder, FARM_FOLDER, "{}_{}.blend".format(stem, time.strftime("%Y%m%d-%H%M%S"))
    )


class CORRAL_OT_submit(bpy.types.Operator):
    """Save a copy of the file for the farm and submit it to Corral"""

    bl_idname = "corral.submit"
    bl_label = "Submit to Corral"

    def execute(self, context):
        scene = context.scene
        if not bpy.data.filepath:
            self.report({"ERROR"}, "Corral: save the .blend file first")
            return {"CANCELLED"}
        blend = farm_copy_path(bpy.data.filepath)
        try:
            shot = read_shot(scene, blend)
            job = farm_job.build_job(scene.corral, shot, bpy.path.basename(bpy.data.filepath))
            client = api.Client(scene.corral.server.strip() or None)
            os.makedirs(os.path.dirname(blend), exist_ok=True)
            shutil.copyfile(LAYER_SCRIPT, shot.layer_script)
            bpy.ops.wm.save_as_mainfile(filepath=blend, copy=True)
        except (api.CorralError, ValueError, OSError, RuntimeError) as exc:
            self.report({"ERROR"}, f"Corral: {exc}")
            return {"CANCELLED"}
        try:
            job_id = client.submit(job)
        except api.CorralError as exc:
            os.remove(blend)
            self.report({"ERROR"}, f"Corral: {exc.detail()}")
            return {"CANCELLED"}
        scene.corral.job_id = job_id
        self.report({"INFO"}, "Corral: job {} submitted ({})".format(job_id, job.get("name")))
        return {"FINISHED"}


class CORRAL_PT_submit(bpy.types.Panel):
    bl_label = "Corral"
    bl_space_type = "PROPERTIES"
    bl_region_type = "WINDOW"
    bl_context = "output"

    def draw(self, context):
        settings = context.scene.corral
        layout = self.layout
        layout.use_property_split = True
        for name in ("server", "job_name", "frames_per_task", "priority", "paused"):
            layout.prop(settings, name)
        for name in ("hosts_mask", "pools", "depend_mask", "make_movie"):
            layout.prop(settings, name)
        layout.operator(CORRAL_OT_submit.bl_idname, icon="RENDER_ANIMATION")
        if settings.job_id:
            layout.label(text=f"Last job: {settings.job_id}")


CLASSES = (CorralSettings, CORRAL_OT_submit, CORRAL_PT_submit)


def register():
    for cls in CLASSES:
        bpy.utils.register_class(cls)
    bpy.types.Scene.corral = bpy.props.PointerProperty(type=CorralSettings)


def unregister():
    del bpy.types.Scene.corral
    for cls in reversed(CLASSES):
        bpy.utils.unregister_class(cls)
