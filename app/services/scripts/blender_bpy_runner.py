"""Blender's command line for the PyPI `bpy` module: `python blender_bpy_runner.py ARGS`.

A render host without a Blender install but with `pip install bpy` runs Corral's Blender tasks
through this script (the blender service chooses it). It takes the subset of Blender's arguments
that batch rendering uses and, like Blender, processes them in order: every -f/-a renders with
the file and settings given before it.

    -b / --background             (accepted; the module always runs in the background)
    FILE                          load a .blend file
    -S / --scene NAME             the scene that later arguments change and render
    -o / --render-output PATH     output path (# = frame digits, // = next to the file)
    -F / --render-format FORMAT   PNG, JPEG, OPEN_EXR, EXR, TIFF, ... (Blender's names)
    -E / --engine ENGINE          CYCLES, BLENDER_EEVEE, BLENDER_WORKBENCH, ...
    -s / --frame-start N, -e / --frame-end N, -j / --frame-jump N
    -t / --threads N              render threads (0 = all processors)
    -P / --python SCRIPT          run a Python script
    -a / --render-anim            render the frame range
    -f / --render-frame LIST      render frames: 1,3,5..8 (+N / -N relative to start / end)
    --                            the rest is for the scripts (sys.argv)

Corral's progress handlers (blender_progress.py, next to this file) print `Fra:<frame> <stats>`
lines. A bad argument or a missing file prints an `Error: ...` line and exits with status 1
before anything is rendered.
"""

import importlib.util
import os
import runpy
import sys

FLAGS = {
    "-b": ("background", 0),
    "--background": ("background", 0),
    "-S": ("scene", 1),
    "--scene": ("scene", 1),
    "-o": ("output", 1),
    "--render-output": ("output", 1),
    "-F": ("format", 1),
    "--render-format": ("format", 1),
    "-E": ("engine", 1),
    "--engine": ("engine", 1),
    "-s": ("start", 1),
    "--frame-start": ("start", 1),
    "-e": ("end", 1),
    "--frame-end": ("end", 1),
    "-j": ("step", 1),
    "--frame-jump": ("step", 1),
    "-t": ("threads", 1),
    "--threads": ("threads", 1),
    "-P": ("python", 1),
    "--python": ("python", 1),
    "-a": ("animation", 0),
    "--render-anim": ("animation", 0),
    "-f": ("frames", 1),
    "--render-frame": ("frames", 1),
}
# Blender's -F names to the file_format enum of the Python API.
FORMATS = {
    "TGA": "TARGA",
    "RAWTGA": "TARGA_RAW",
    "JPEG": "JPEG",
    "IRIS": "IRIS",
    "IRIZ": "IRIS",
    "PNG": "PNG",
    "BMP": "BMP",
    "HDR": "HDR",
    "TIFF": "TIFF",
    "EXR": "OPEN_EXR",
    "OPEN_EXR": "OPEN_EXR",
    "MULTILAYER": "OPEN_EXR_MULTILAYER",
    "OPEN_EXR_MULTILAYER": "OPEN_EXR_MULTILAYER",
    "FFMPEG": "FFMPEG",
    "CINEON": "CINEON",
    "DPX": "DPX",
    "DDS": "DDS",
    "JP2": "JPEG2000",
    "WEBP": "WEBP",
}
PROGRESS_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "blender_progress.py")


class ArgumentError(Exception):
    """A bad command line; the message is the `Error: ...` line to print."""


def parse_args(argv):
    """The actions [(name, value)] of a command line, in order, checked without rendering;
    ArgumentError for an unknown flag, a missing value, a bad number or a missing file."""
    actions = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        i += 1
        if arg == "--":
            break
        if arg not in FLAGS:
            if arg.startswith("-") and len(arg) > 1:
                known = " ".join(flag for flag in FLAGS if not flag.startswith("--"))
                raise ArgumentError(
                    f'Error: unknown argument "{arg}" (the bpy runner takes {known})'
                )
            actions.append(("file", _existing(arg, "Cannot read file")))
            continue
        name, count = FLAGS[arg]
        if count and i >= len(argv):
            raise ArgumentError(f"Error: {arg} needs a value")
        value = argv[i] if count else None
        i += count
        if name in ("start", "end"):
            value = _integer(arg, value)
        elif name == "step":
            value = _integer(arg, value, low=1)
        elif name == "threads":
            value = _integer(arg, value, low=0)
        elif name == "frames":
            value = parse_frames(value, arg)
        elif name == "format":
            if value.upper() not in FORMATS:
                raise ArgumentError(f'Error: format "{value}" from {arg} is not known')
            value = FORMATS[value.upper()]
        elif name == "python":
            value = _existing(value, "Cannot read Python script")
        actions.append((name, value))
    return actions


def parse_frames(text, flag="-f"):
    """[(kind, a, b)] of a frame list: ("abs", n, m) for n or n..m, ("start", n, n) for +n,
    ("end", n, n) for -n (Blender: relative to the start / end frame)."""
    items = []
    for part in text.split(","):
        part = part.strip()
        try:
            if part.startswith("+"):
                items.append(("start", int(part[1:]), int(part[1:])))
            elif part.startswith("-"):
                items.append(("end", int(part[1:]), int(part[1:])))
            elif ".." in part:
                first, last = (int(x) for x in part.split("..", 1))
                if last < first:
                    raise ValueError(part)
                items.append(("abs", first, last))
            else:
                items.append(("abs", int(part), int(part)))
        except ValueError:
            raise ArgumentError(f'Error: bad frame list "{text}" for {flag}') from None
    return items


def _integer(flag, value, low=None):
    try:
        number = int(value)
    except ValueError:
        raise ArgumentError(f'Error: {flag} needs a number, not "{value}"') from None
    if low is not None and number < low:
        raise ArgumentError(f"Error: {flag} must be at least {low}, not {number}")
    return number


def _existing(path, what):
    full = os.path.abspath(path)
    if not os.path.isfile(full):
        raise ArgumentError(f'Error: {what} "{full}": No such file or directory')
    return full


class Runner:
    """Applies the actions to bpy in order."""

    def __init__(self, bpy):
        self.bpy = bpy
        self.scene_name = None

    def scene(self):
        if self.scene_name is not None:
            return self.bpy.data.scenes[self.scene_name]
        return self.bpy.context.scene

    def run(self, actions):
        for name, value in actions:
            getattr(self, "do_" + name)(value)

    def do_background(self, _value):
        pass

    def do_file(self, path):
        self.bpy.ops.wm.open_mainfile(filepath=path)
        self.scene_name = None

    def do_scene(self, name):
        if self.bpy.data.scenes.get(name) is None:
            raise ArgumentError(f'Error: no scene "{name}" in the file')
        self.scene_name = name
        window = getattr(self.bpy.context, "window", None)
        if window is not None:
            window.scene = self.bpy.data.scenes[name]

    def do_output(self, path):
        self.scene().render.filepath = path

    def do_format(self, file_format):
        self.scene().render.image_settings.file_format = file_format

    def do_engine(self, engine):
        try:
            self.scene().render.engine = engine
        except TypeError:
            raise ArgumentError(f'Error: engine "{engine}" is not available') from None

    def do_start(self, frame):
        self.scene().frame_start = frame

    def do_end(self, frame):
        self.scene().frame_end = frame

    def do_step(self, step):
        self.scene().frame_step = step

    def do_threads(self, threads):
        render = self.scene().render
        render.threads_mode = "FIXED" if threads > 0 else "AUTO"
        if threads > 0:
            render.threads = threads

    def do_python(self, path):
        runpy.run_path(path, run_name="__main__")

    def do_animation(self, _value):
        self._render()

    def do_frames(self, items):
        scene = self.scene()
        start, end = scene.frame_start, scene.frame_end
        try:
            for kind, first, last in items:
                if kind == "start":
                    first = last = start + first
                elif kind == "end":
                    first = last = end - first
                for frame in range(first, last + 1):
                    scene.frame_start = frame  # one-frame range: Blender's -f does the same
                    scene.frame_end = frame
                    self._render()
        finally:
            scene.frame_start = start
            scene.frame_end = end

    def _render(self):
        scene = self.scene()
        try:
            self.bpy.ops.render.render(animation=True, scene=scene.name)
        except RuntimeError as exc:
            message = " ".join(str(exc).split())
            if not message.startswith("Error"):
                message = "Error: " + message
            raise ArgumentError(message) from None


def load_progress_handlers():
    spec = importlib.util.spec_from_file_location("corral_blender_progress", PROGRESS_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    try:
        actions = parse_args(argv)
    except ArgumentError as exc:
        print(exc, flush=True)
        return 1
    if not actions:
        print("Error: nothing to do (give a .blend file and -a or -f)", flush=True)
        return 1
    try:
        import bpy
    except ImportError as exc:
        print(f"Error: the bpy module cannot be imported: {exc}", flush=True)
        return 1
    load_progress_handlers()
    try:
        Runner(bpy).run(actions)
    except ArgumentError as exc:
        print(exc, flush=True)
        return 1
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # bpy's exit handlers can take seconds and print noise at interpreter exit
