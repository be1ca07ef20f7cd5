"""The fake ``maya`` package: ``maya.cmds`` and ``maya.utils``."""
