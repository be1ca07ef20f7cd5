"""A small ``nuke`` over an in-memory script (:data:`SCRIPT`).

Nodes: ``name()``, ``Class()``, knobs by name (``node["file"].value()``; ``knob(name)`` is
None when the node has no such knob), ``dependencies()`` (the nodes it reads from: its inputs
and, for an expression, its source); ``allNodes(filter)``
and ``selectedNodes(filter)`` by class; ``root()`` (knobs ``first_frame``, ``last_frame``);
``scriptName()`` (RuntimeError while untitled), ``scriptSave()``. UI: ``Panel`` (fields by
label, ``show()`` answers the number of the button pressed: the test's choice), ``message``,
``menu(name).addCommand(path, command)``.
"""

INPUTS = 1
HIDDEN_INPUTS = 2
EXPRESSIONS = 4
_WRITE_DEFAULTS = {"disable": False, "use_limit": False, "first": 1, "last": 1}


class Knob:
    def __init__(self, value):
        self._value = value

    def value(self):
        return self._value

    def setValue(self, value):  # noqa: N802
        self._value = value


class Node:
    def __init__(self, node_class, name, inputs=(), selected=False, **knobs):
        self._class = node_class
        self._name = name
        self._inputs = list(inputs)
        self._selected = selected
        values = dict(_WRITE_DEFAULTS if node_class == "Write" else {}, **knobs)
        self._knobs = {key: Knob(value) for key, value in values.items()}

    def name(self):
        return self._name

    def Class(self):  # noqa: N802
        return self._class

    def __getitem__(self, knob):
        return self._knobs[knob]

    def knob(self, name):
        return self._knobs.get(name)

    def isSelected(self):  # noqa: N802
        return self._selected

    def dependencies(self, what=INPUTS | HIDDEN_INPUTS | EXPRESSIONS):
        return list(self._inputs)


class Script:
    """What a test puts in the open script, and what the user answers in panels."""

    def __init__(self):
        self.path = ""
        self.nodes = []
        self.saves = 0
        self.root = Node("Root", "root", first_frame=1, last_frame=1)
        self.panel_button = 1
        self.panel_answers = {}
        self.panels = []
        self.messages = []
        self.menus = {}

    def add(self, node_class, name, inputs=(), selected=False, **knobs):
        node = Node(node_class, name, inputs, selected, **knobs)
        self.nodes.append(node)
        return node


SCRIPT = Script()


def _of_class(nodes, node_class):
    return [node for node in nodes if not node_class or node.Class() == node_class]


def allNodes(filter=None):  # noqa: A002, N802 (Nuke's names)
    return _of_class(SCRIPT.nodes, filter)


def selectedNodes(filter=None):  # noqa: A002, N802
    return [node for node in _of_class(SCRIPT.nodes, filter) if node.isSelected()]


def root():
    return SCRIPT.root


def scriptName():  # noqa: N802
    if not SCRIPT.path:
        raise RuntimeError("No script name")
    return SCRIPT.path


def scriptSave(filename=None):  # noqa: N802
    with open(filename or scriptName(), "w") as script:
        script.write("Root {}\n")
    SCRIPT.saves += 1
    return True


class Panel:
    def __init__(self, title):
        self.title = title
        self.fields = {}
        self.buttons = []
        SCRIPT.panels.append(self)

    def addSingleLineInput(self, label, value):  # noqa: N802
        self.fields[label] = value

    def addBooleanCheckBox(self, label, value):  # noqa: N802
        self.fields[label] = value

    def addButton(self, label):  # noqa: N802
        self.buttons.append(label)

    def show(self):
        self.fields.update(SCRIPT.panel_answers)
        return SCRIPT.panel_button

    def value(self, label):
        return self.fields[label]


def message(text):
    SCRIPT.messages.append(text)


class Menu:
    def __init__(self):
        self.commands = {}

    def addCommand(self, path, command, shortcut=""):  # noqa: N802
        self.commands[path] = command


def menu(name):
    return SCRIPT.menus.setdefault(name, Menu())
