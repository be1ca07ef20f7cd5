"""The monitor window and the tray icon (PyQt6 on the qasync loop)."""
