"""The frozen binary's entry point: the ``corral`` command, or a Python script.

Services start their helper scripts as ``sys.executable SCRIPT.py ARGS`` (the OpenJD session
script, for one); in the frozen binary ``sys.executable`` is ``corral`` itself, so a first
argument naming an existing ``.py`` file runs that file as ``__main__``, as Python would.
"""

import os
import runpy
import sys

if len(sys.argv) > 1 and sys.argv[1].endswith(".py") and os.path.isfile(sys.argv[1]):
    del sys.argv[0]
    runpy.run_path(sys.argv[0], run_name="__main__")
else:
    from app.cli import main

    raise SystemExit(main())
