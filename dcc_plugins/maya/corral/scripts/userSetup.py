"""Maya runs every userSetup.py on its script path at startup: this one adds the Corral menu and
shelf once the main window exists (not in batch mode, where the farm's renders run Maya)."""

import maya.utils
from maya import cmds


def _install_corral():
    import corral_maya.ui

    corral_maya.ui.install()


if not cmds.about(batch=True):
    maya.utils.executeDeferred(_install_corral)
