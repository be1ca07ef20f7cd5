"""Small fakes of the DCCs' Python modules (``maya.cmds``, ``nuke``, ``hou``): each implements
the calls the Corral plugins make, as the application's documentation describes them, over a
scene a test builds. Put this folder on ``sys.path`` to import them by their real names."""
