"""Run on the farm (``blender -b copy.blend -P view_layer.py ... -a -- LAYER``): render only the
view layer named after ``--``. The submit operator copies this file beside the farm's .blend."""

import sys

import bpy

layer = sys.argv[sys.argv.index("--") + 1]
for view_layer in bpy.context.scene.view_layers:
    view_layer.use = view_layer.name == layer
