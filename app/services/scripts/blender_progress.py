"""Corral's progress lines from inside Blender (run with `blender -b scene.blend -P this.py`, or
imported by blender_bpy_runner.py).

Blender 5 no longer prints its render statistics in the background (they go through its logger
at INFO, off by default), so this script prints them itself, in the classic line shape that
Corral's `blender` parser reads::

    Fra:3 Mem: 2M | Sample 8/16

one line per `render_stats` callback. Blender prints `Saved: '<path>'` for every written file on
its own (Blender 5 through its logger: `00:01.085  render  | Saved: '/out/f_0001.png'`), so the
`render_write` event needs nothing from us. The handlers are persistent: they stay when a later
argument loads another file. Nothing else is printed.
"""

import bpy

_MARK = "_corral_progress"
_state = {"scene": None}


@bpy.app.handlers.persistent
def _corral_render_pre(scene, *_args):
    _state["scene"] = scene


@bpy.app.handlers.persistent
def _corral_render_stats(stats, *_args):
    scene = _state["scene"]
    try:
        frame = scene.frame_current if scene is not None else bpy.context.scene.frame_current
    except (AttributeError, ReferenceError):  # the scene was freed (another file was loaded)
        frame = bpy.context.scene.frame_current
    text = " ".join(str(stats).split())
    print(f"Fra:{frame} {text}", flush=True)


def register():
    """Add the handlers once (running the script twice does not double the lines)."""
    for name, handler in (
        ("render_pre", _corral_render_pre),
        ("render_stats", _corral_render_stats),
    ):
        handlers = getattr(bpy.app.handlers, name)
        for old in list(handlers):
            if getattr(old, _MARK, False):
                handlers.remove(old)
        setattr(handler, _MARK, True)
        handlers.append(handler)


register()
