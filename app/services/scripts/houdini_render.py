"""Render a Houdini ROP frame by frame: Corral's wrapper, run by hython.

    hython houdini_render.py --hip scene.hip --rop /out/mantra1 --start 1 --end 10 [--step 1]
        [--output /out/f.$F4.exr]

Before each frame it prints ``CORRAL_ROP: <rop> frame <f>`` (the hbatch parsers read it), then
renders that frame with the ROP's own progress output turned on. Exit status: 0 when every frame
rendered, 1 when the hip file, the ROP or a frame failed, 2 for bad arguments or no Houdini.

This file is not a module of Corral (its directory has no __init__.py): the render runs it by
path. ``hou`` is imported inside main(), so --help and argument errors work without Houdini.
"""

from __future__ import annotations

import argparse
import sys

# Parameters that make a ROP report its progress, set when the ROP has them.
PROGRESS_PARMS = {
    "vm_alfprogress": 1,  # Mantra: ALF_PROGRESS lines
    "alfprogress": 1,  # Karma / usdrender ROP
    "vm_verbose": 2,  # Mantra verbosity
}
# The output file parameter of common ROPs, the first one the ROP has is set by --output.
OUTPUT_PARMS = (
    "vm_picture",  # Mantra
    "picture",  # Karma, OpenGL
    "outputimage",  # usdrender
    "ar_picture",  # Arnold
    "RS_outputFileNamePrefix",  # Redshift
    "sopoutput",  # geometry ROP
    "lopoutput",  # USD ROP
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="houdini_render.py", description="Render a Houdini ROP frame by frame (Corral)."
    )
    parser.add_argument("--hip", required=True, help="the .hip file to load")
    parser.add_argument("--rop", required=True, help="the ROP node path, e.g. /out/mantra1")
    parser.add_argument("--start", type=int, required=True, help="the first frame")
    parser.add_argument("--end", type=int, required=True, help="the last frame")
    parser.add_argument("--step", type=int, default=1, help="the frame step (default 1)")
    parser.add_argument("--output", help="the output file, replacing the ROP's")
    args = parser.parse_args(argv)
    if args.step < 1:
        parser.error("--step must be at least 1")
    if args.end < args.start:
        parser.error("--end must not be below --start")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        import hou  # noqa: PLC0415 (Houdini's module: only under hython)
    except ImportError as error:
        print(
            f"houdini_render.py: cannot import hou ({error}): run this script with hython",
            file=sys.stderr,
        )
        return 2
    try:
        hou.hipFile.load(args.hip, suppress_save_prompt=True, ignore_load_warnings=True)
    except hou.Error as error:
        print(f"houdini_render.py: cannot load {args.hip}: {error}", file=sys.stderr)
        return 1
    rop = hou.node(args.rop)
    if rop is None or not hasattr(rop, "render"):
        print(f"houdini_render.py: {args.rop} is not a ROP node of {args.hip}", file=sys.stderr)
        return 1
    for name, value in PROGRESS_PARMS.items():
        parm = rop.parm(name)
        if parm is not None:
            parm.set(value)
    if args.output:
        parm = next((rop.parm(name) for name in OUTPUT_PARMS if rop.parm(name) is not None), None)
        if parm is None:
            print(f"houdini_render.py: {args.rop} has no known output parameter", file=sys.stderr)
            return 1
        parm.set(args.output)
    for frame in range(args.start, args.end + 1, args.step):
        print(f"CORRAL_ROP: {args.rop} frame {frame}", flush=True)
        try:
            rop.render(frame_range=(frame, frame, args.step), verbose=True, output_progress=True)
        except hou.Error as error:
            print(f"houdini_render.py: {args.rop} frame {frame} failed: {error}", file=sys.stderr)
            return 1
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
