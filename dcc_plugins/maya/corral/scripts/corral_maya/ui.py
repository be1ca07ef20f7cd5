"""The Corral menu, shelf button and submit window, built with ``maya.cmds``."""

from maya import cmds

from . import api, submit

MENU = "corralMenu"
SHELF = "Corral"
WINDOW = "corralSubmitWindow"
SCENE_CAMERAS = "(the scene's renderable cameras)"
SHOW = "import corral_maya.ui; corral_maya.ui.show()"

# The window's fields: (setting, control command, its value flag).
_FIELDS = (
    ("server", cmds.textFieldGrp, "text"),
    ("job_name", cmds.textFieldGrp, "text"),
    ("frames_per_task", cmds.intFieldGrp, "value1"),
    ("priority", cmds.intFieldGrp, "value1"),
    ("paused", cmds.checkBoxGrp, "value1"),
    ("camera", cmds.optionMenuGrp, "value"),
    ("job_per_layer", cmds.checkBoxGrp, "value1"),
)


def install():
    """The Corral menu in Maya's main window, and a Corral shelf with the submit button."""
    if cmds.menu(MENU, exists=True):
        cmds.deleteUI(MENU)
    cmds.menu(MENU, label="Corral", parent="MayaWindow", tearOff=True)
    cmds.menuItem(label="Submit to Corral...", command=show, parent=MENU)
    if not cmds.shelfLayout(SHELF, exists=True):
        cmds.shelfLayout(SHELF, parent="ShelfLayout")
    if not cmds.shelfLayout(SHELF, query=True, childArray=True):
        cmds.shelfButton(
            parent=SHELF,
            label="Corral",
            annotation="Submit this scene to Corral",
            image="render.png",
            sourceType="python",
            command=SHOW,
        )


def show(*_):
    """Open the submit window, its fields set from the scene."""
    try:
        scene = submit.read_scene()
    except ValueError as exc:
        _tell(str(exc))
        return
    if cmds.window(WINDOW, exists=True):
        cmds.deleteUI(WINDOW)
    cmds.window(WINDOW, title="Submit to Corral")
    cmds.columnLayout(adjustableColumn=True)
    controls = {
        "server": cmds.textFieldGrp(label="Server", text=api.default_server()),
        "job_name": cmds.textFieldGrp(label="Job name", text=submit.default_job_name(scene)),
        "frames_per_task": cmds.intFieldGrp(label="Frames per task", value1=1),
        "priority": cmds.intFieldGrp(label="Priority", value1=99),
        "paused": cmds.checkBoxGrp(label="Paused", value1=False),
        "camera": cmds.optionMenuGrp(label="Camera"),
    }
    for camera in [SCENE_CAMERAS] + scene.cameras:
        cmds.menuItem(label=camera)
    controls["job_per_layer"] = cmds.checkBoxGrp(label="A job per render layer", value1=False)
    cmds.button(label="Submit", command=lambda *_: _submit(controls))
    cmds.showWindow(WINDOW)


def _settings(controls):
    values = {}
    for key, control, flag in _FIELDS:
        values[key] = control(controls[key], query=True, **{flag: True})
    if values["camera"] == SCENE_CAMERAS:
        values["camera"] = ""
    return submit.Settings(**values)


def _submit(controls):
    try:
        ids = submit.submit(_settings(controls))
    except (ValueError, api.CorralError) as exc:
        _tell(f"Not submitted: {exc}")
        return
    cmds.deleteUI(WINDOW)
    _tell("Submitted job{} {}".format("s" if len(ids) > 1 else "", ", ".join(map(str, ids))))


def _tell(message):
    cmds.confirmDialog(title="Corral", message=message, button=["OK"])
