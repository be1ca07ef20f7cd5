"""Corral's submitter for Nuke: the script's Write nodes made into a job (submit.py) and the
submit panel (panel.py). Python 3.7 syntax, like the client API.

The API is the package ``corral_api`` that ``corral plugins install`` puts beside this module;
run from Corral's repository, it is ``app.api``.
"""

try:
    from .corral_api import api
except ImportError:  # not installed: running from Corral's repository
    from app import api

__all__ = ["api"]
