"""Shared test set-up: Qt offscreen (before any Qt import)."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
