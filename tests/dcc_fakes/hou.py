"""A small ``hou`` over an in-memory hip file (:data:`HIP`).

Nodes: ``path()``, ``name()``, ``type().name()``, ``parm(name).eval()``, ``parmTuple("f")``
(start, end, increment as floats), ``inputs()`` (None for an unconnected input);
``hou.RopNode`` the class of output drivers; ``selectedNodes()``, ``frame()`` (a float);
``hipFile.path()``, ``isNewFile()`` and ``save()``; ``ui.readMultiInput`` (the button
pressed and the fields' texts: the test's answers over the initial contents) and
``ui.displayMessage``.
"""


class _Value:
    def __init__(self, value):
        self._value = value

    def eval(self):
        return self._value


class NodeType:
    def __init__(self, name):
        self._name = name

    def name(self):
        return self._name


class Node:
    def __init__(self, path, type_name, inputs=(), **parms):
        self._path = path
        self._type = NodeType(type_name)
        self._inputs = list(inputs)
        self._parms = parms

    def path(self):
        return self._path

    def name(self):
        return self._path.rpartition("/")[2]

    def type(self):
        return self._type

    def parm(self, name):
        return _Value(self._parms[name]) if name in self._parms else None

    def parmTuple(self, name):  # noqa: N802
        return _Value(tuple(float(v) for v in self._parms[name]))

    def inputs(self):
        return tuple(self._inputs)


class RopNode(Node):
    """An output driver: ``trange`` 0 renders the current frame, 1 the range ``f``."""

    def __init__(self, path, type_name, inputs=(), f=(1, 1, 1), trange=1, **parms):
        super().__init__(path, type_name, inputs, f=f, trange=trange, **parms)


class Hip:
    """What a test puts in the session: the file, its nodes, the selection, the answers."""

    def __init__(self):
        self.path = ""
        self.saves = 0
        self.frame = 1.0
        self.selected = []
        self.button = 0
        self.answers = {}
        self.messages = []


HIP = Hip()


def selectedNodes():  # noqa: N802
    return tuple(HIP.selected)


def frame():
    return HIP.frame


class hipFile:  # noqa: N801 (Houdini's name)
    @staticmethod
    def path():
        return HIP.path or "untitled.hip"

    @staticmethod
    def isNewFile():  # noqa: N802
        return not HIP.path

    @staticmethod
    def save(file_name=None):
        with open(file_name or HIP.path, "w") as hip:
            hip.write("HouNC\n")
        HIP.saves += 1


class ui:  # noqa: N801
    @staticmethod
    def readMultiInput(message, input_labels, buttons=("OK",), initial_contents=(), **_):  # noqa: N802
        texts = [
            HIP.answers.get(label, text)
            for label, text in zip(input_labels, initial_contents, strict=True)
        ]
        return HIP.button, tuple(texts)

    @staticmethod
    def displayMessage(text, **_):  # noqa: N802
        HIP.messages.append(text)
        return 0
