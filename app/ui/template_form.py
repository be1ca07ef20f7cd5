"""An Open Job Description template's job parameters as a form, for the submit dialog.

:meth:`TemplateForm.load` reads a template file (nothing when the file is not one); a field per
job parameter, filled with its default (a list when the template allows only some values), and
:meth:`TemplateForm.job` the Corral job of the values (app/services/openjd/template.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PyQt6.QtCore import pyqtSignal
from PyQt6.QtWidgets import QComboBox, QFormLayout, QGroupBox, QLineEdit, QWidget

from app.services.openjd import NEEDS_EXTRA, is_template

_SUFFIXES = (".yaml", ".yml", ".json")


class TemplateForm(QGroupBox):
    """The parameters of the loaded template (``template`` is None when none is)."""

    changed = pyqtSignal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Template parameters", parent)
        self.form = QFormLayout(self)
        self.fields: dict[str, QLineEdit | QComboBox] = {}
        self.template: Any = None
        self.folder = Path()

    def load(self, path: str) -> None:
        """Show the parameters of the template at path, or none when it is not a template;
        ValueError (TemplateError) for a template that is not valid."""
        self.template = None
        while self.form.rowCount():
            self.form.removeRow(0)
        self.fields = {}
        file = Path(path)
        if file.suffix.lower() not in _SUFFIXES or not file.is_file():
            return
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return
        if not is_template(text):
            return
        try:
            from app.services.openjd import template
        except ImportError:
            raise ValueError(NEEDS_EXTRA) from None
        self.template = template.load_template(text, file.name)
        self.folder = file.parent
        for parameter in template.parameters(self.template):
            field = self._field(parameter)
            field.setToolTip(parameter.description)
            self.form.addRow(parameter.name, field)
            self.fields[parameter.name] = field

    def _field(self, parameter: Any) -> QLineEdit | QComboBox:
        if parameter.allowed:
            combo = QComboBox()
            combo.addItems(parameter.allowed)
            combo.setCurrentText(parameter.default or parameter.allowed[0])
            combo.currentTextChanged.connect(self.changed)
            return combo
        edit = QLineEdit(parameter.default or "", placeholderText=parameter.type.lower())
        edit.textChanged.connect(self.changed)
        return edit

    def values(self) -> dict[str, str]:
        """The parameter values given (an empty field leaves the template's default)."""
        out = {}
        for name, field in self.fields.items():
            value = field.currentText() if isinstance(field, QComboBox) else field.text()
            if value.strip():
                out[name] = value.strip()
        return out

    def job(self) -> dict:
        """The Corral job of the template and the values; TemplateError says what is wrong."""
        from app.services.openjd.template import template_job

        return template_job(self.template, self.values(), self.folder, Path.cwd())
