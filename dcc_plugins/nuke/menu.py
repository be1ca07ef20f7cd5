"""Nuke runs menu.py of each plugin path when its UI starts: Corral's submit command in the Nuke
menu (Render > Submit to Corral...)."""

import corral_nuke.panel
import nuke

nuke.menu("Nuke").addCommand("Render/Submit to Corral...", corral_nuke.panel.show)
