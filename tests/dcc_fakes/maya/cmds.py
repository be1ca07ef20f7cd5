"""A small ``maya.cmds`` over an in-memory scene (:data:`SCENE`) and UI (:data:`UI`).

Scene: ``getAttr`` (a missing attribute raises ValueError, a frame attribute is a float),
``ls(type=)``, ``listRelatives(parent=True)`` (None when there are none), ``file(query=True,
sceneName=True)`` ("" while untitled) and ``file(save=True)``, ``workspace`` (``rootDirectory``
ends with a slash, ``fileRuleEntry`` names a rule's folder, ``expandName`` makes it absolute),
``about(batch=True)``. UI: controls made, queried (``query=True, <flag>=True``) and edited
(``edit=True``) by name; ``menuItem`` goes into the last menu or option menu made unless given
``parent``; ``optionMenuGrp``'s value is its selected item, the first by default.
"""

import os

_FRAME_ATTRIBUTES = ("startFrame", "endFrame", "byFrameStep")


class Scene:
    """What a test puts in the open scene."""

    def __init__(self):
        self.reset()

    def reset(self, path="", root="/projects/none/"):
        self.path = path
        self.root = root
        self.attrs = {}  # "node.attribute" -> value
        self.nodes = {}  # name -> type, in creation order
        self.parents = {}
        self.saves = 0

    def add(self, name, node_type, parent=None, **attrs):
        self.nodes[name] = node_type
        if parent:
            self.parents[name] = parent
        for attr, value in attrs.items():
            self.attrs[name + "." + attr] = value


class Ui:
    """The controls made, by name: {"kind", "flags", "items"}; dialogs shown."""

    def __init__(self):
        self.controls = {}
        self.dialogs = []
        self._menu = None

    def find(self, label):
        for name, control in self.controls.items():
            if control["flags"].get("label") == label:
                return name
        raise KeyError(f"no control labelled {label!r}")

    def set(self, label, value):
        """What the user types or ticks in the control labelled so."""
        control = self.controls[self.find(label)]
        kind = control["kind"]
        flag = {"textFieldGrp": "text", "optionMenuGrp": "value"}.get(kind, "value1")
        if kind == "optionMenuGrp" and value not in control["items"]:
            raise ValueError(f"{value!r} is not an item of {label}")
        control["flags"][flag] = value

    def press(self, label):
        """Click the button (or menu item) labelled so: Maya passes its state, False."""
        self.controls[self.find(label)]["flags"]["command"](False)


SCENE = Scene()
UI = Ui()


def getAttr(name):  # noqa: N802
    if name not in SCENE.attrs:
        raise ValueError("No object matches name: " + name)
    value = SCENE.attrs[name]
    return float(value) if name.rpartition(".")[2] in _FRAME_ATTRIBUTES else value


def ls(type=None):  # noqa: A002 (Maya's flag)
    return [name for name, kind in SCENE.nodes.items() if type is None or kind == type]


def listRelatives(node, parent=False):  # noqa: N802
    if parent and node in SCENE.parents:
        return [SCENE.parents[node]]
    return None


def file(query=False, sceneName=False, save=False):  # noqa: A001, N803
    if query and sceneName:
        return SCENE.path
    if save:
        if not SCENE.path:
            raise RuntimeError("the scene has no name: use File > Save Scene As")
        with open(SCENE.path, "w") as scene_file:
            scene_file.write("//Maya ASCII scene\n")
        SCENE.saves += 1
        return SCENE.path
    raise NotImplementedError("file: only sceneName queries and save")


def workspace(query=False, rootDirectory=False, fileRuleEntry=None, expandName=None):  # noqa: N803
    if query and rootDirectory:
        return SCENE.root
    if fileRuleEntry is not None:
        return {"images": "images", "scene": "scenes"}[fileRuleEntry]
    if expandName is not None:
        return os.path.join(SCENE.root, expandName)
    raise NotImplementedError("workspace: rootDirectory, fileRuleEntry and expandName")


def about(batch=False):
    return False  # an interactive session


def _control(kind):
    def command(name=None, query=False, edit=False, exists=False, **flags):
        if exists:
            return name in UI.controls
        if query:
            (flag,) = flags
            return _query(UI.controls[name], flag)
        if edit:
            UI.controls[name]["flags"].update(flags)
            return None
        if name is None:
            name = f"{kind}{len(UI.controls) + 1}"
        UI.controls[name] = {"name": name, "kind": kind, "flags": flags, "items": []}
        if kind in ("menu", "optionMenuGrp"):
            UI._menu = name
        return name

    command.__name__ = kind
    return command


def _query(control, flag):
    if flag == "childArray":
        return [n for n, c in UI.controls.items() if c["flags"].get("parent") == control["name"]]
    if control["kind"] == "optionMenuGrp" and flag == "value":
        return control["flags"].get("value") or control["items"][0]
    return control["flags"].get(flag, {"text": ""}.get(flag, False))


for _kind in (
    "window",
    "columnLayout",
    "textFieldGrp",
    "intFieldGrp",
    "checkBoxGrp",
    "optionMenuGrp",
    "button",
    "menu",
    "shelfLayout",
    "shelfButton",
):
    globals()[_kind] = _control(_kind)


def menuItem(label, parent=None, **flags):  # noqa: N802
    owner = parent or UI._menu
    UI.controls[owner]["items"].append(label)
    name = f"menuItem{len(UI.controls) + 1}"
    UI.controls[name] = {
        "name": name,
        "kind": "menuItem",
        "flags": dict(flags, label=label, parent=owner),
    }
    return name


def deleteUI(name):  # noqa: N802
    del UI.controls[name]
    for child in [n for n, c in UI.controls.items() if c["flags"].get("parent") == name]:
        del UI.controls[child]


def showWindow(name):  # noqa: N802
    UI.controls[name]["flags"]["visible"] = True


def confirmDialog(title, message, button):  # noqa: N802
    UI.dialogs.append(message)
    return button[0]
