"""Settings as typed fields, grouped and labelled, built from the model's own tables: for jobs
and blocks the JSON schema of app/core/jobspec.py (types, limits, choices) and the key kinds of
app/protocol.py, which also make each field's tooltip (what the key means, from the schema's
description, then its kind, limits and the default of JOB_INTS/BLOCK_INTS); for users
app/core/users.py settings_schema; for pools app/core/pools.py settings_schema. `FormDialog`
edits such a form and sends its changes.

An integer is a spin box (a checked text field when it outgrows one), another number a spin box
with decimals (either shows a special value, such as a pool's -1 "inherit", in words),
true/false a check box, a choice a drop-down, a mask or a pool's pattern a text field checked as
you type (a regular expression, as the server compiles it), an object or a list a JSON text
field checked as you type, text a text field. `changes()` gives the fields changed as JSON
values; `problems()` what is invalid.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from PyQt6.QtCore import pyqtSignal
from PyQt6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import SpecError
from app.core.masks import name_regex
from app.ui.client import FarmError

SPIN_MAX = 2**31 - 1  # a QSpinBox's limit
DECIMALS = 2  # of a number that is not an integer (seconds, percents)
KIND_WORDS = {  # a schema's type in words
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "string": "text",
}
INVALID_STYLE = "background: rgba(220, 50, 50, 70)"
# group title -> the start of the keys it holds; the first group that matches a key takes it
GROUPS = (
    (
        "Scheduling",
        (
            "priority",
            "offline",
            "max_running",
            "capacity",
            "sequential",
            "time_",
            "pools",
            "tickets",
            "ppa",
            "maintenance",
            "suspend_new_tasks",
        ),
    ),
    ("Hosts", ("hosts_mask", "need_", "ignore")),
    ("Dependencies", ("depend",)),
    ("Errors and time limits", ("errors_", "task_")),
    (
        "Command and files",
        (
            "command",
            "working_directory",
            "environment",
            "service",
            "parser",
            "files",
            "file_size",
            "skip_",
            "check_",
            "tasks_name",
            "folders",
        ),
    ),
    ("Notes", ("annotation", "description", "project", "department")),
    ("Solving", ("solve_",)),
)
OTHER = "Other"


def group_of(key: str, groups: tuple = GROUPS) -> str:
    return next((title for title, starts in groups if key.startswith(starts)), OTHER)


def _special(schema: dict) -> tuple[dict, Any, str]:
    """A number's range schema, and the value and words of its special value (a pool's -1,
    "inherit": the first of an anyOf of a const and a range); (schema, None, "") without."""
    choices = schema.get("anyOf", ())
    if len(choices) == 2 and "const" in choices[0] and "minimum" in choices[1]:
        return choices[1], choices[0]["const"], choices[0].get("title", "")
    return schema, None, ""


def tooltip(key: str, kind: str, schema: dict, default: int | None) -> str:
    """A key's documentation from the model's tables: what it means (the schema's description,
    app/core/key_docs.py), then its kind, limits, choices and default."""
    meaning = schema.get("description")
    schema, special, words = _special(schema)
    parts = [f"{key}: {kind or _kind(schema)}"]
    if special is not None:
        parts.append(f"{special} = {words}")
    if "minimum" in schema:
        parts.append(f"from {schema['minimum']:,} to {schema['maximum']:,}")
    if "enum" in schema:
        parts.append("one of " + ", ".join(repr(v) for v in schema["enum"]))
    if default is not None:
        parts.append(f"default {default}")
    if "mask" in key and "type" not in key:
        parts.append("a regular expression")
    return "\n".join(filter(None, (meaning, "; ".join(parts))))


class KeyForm(QWidget):
    """Typed fields for some keys of a job or block, with their current values."""

    changed = pyqtSignal()  # a field changed (its validity may have)

    def __init__(
        self,
        keys: tuple[str, ...],
        schemas: dict[str, dict],
        kinds: dict[str, str],
        defaults: dict[str, int],
        current: dict[str, Any],
        parent: QWidget | None = None,
        groups: tuple = GROUPS,
    ) -> None:
        super().__init__(parent)
        self.schemas = schemas
        self.fields: dict[str, QWidget] = {}
        self.groups: dict[str, QGroupBox] = {}
        self._problems: dict[str, str] = {}
        forms: dict[str, QFormLayout] = {}
        for title in [t for t, _ in groups] + [OTHER]:
            if any(group_of(key, groups) == title for key in keys):
                self.groups[title] = QGroupBox(title)
                forms[title] = QFormLayout(self.groups[title])
        for key in keys:
            schema = schemas[key]
            value = current.get(key)
            field = self._field(key, schema, defaults.get(key) if value is None else value)
            field.setProperty("doc", tooltip(key, kinds.get(key, ""), schema, defaults.get(key)))
            field.setToolTip(field.property("doc"))
            self.fields[key] = field
            forms[group_of(key, groups)].addRow(key.replace("_", " "), field)
        self.current = {key: self.value(key) for key in keys}  # as shown: changes are edits
        layout = QVBoxLayout(self)
        for box in self.groups.values():
            layout.addWidget(box)
        layout.addStretch(1)

    # -- building --------------------------------------------------------------------------------

    def _field(self, key: str, schema: dict, value: Any) -> QWidget:
        numbers, special, words = _special(schema)
        if numbers.get("type") in ("integer", "number") and "minimum" in numbers:
            low = numbers["minimum"] if special is None else special
            if numbers["type"] == "number":
                spin = QDoubleSpinBox(decimals=DECIMALS)
            elif low >= -SPIN_MAX and numbers["maximum"] <= SPIN_MAX:
                spin = QSpinBox()
            else:
                spin = None
            if spin is not None:
                spin.setRange(low, numbers["maximum"])
                spin.setSpecialValueText(words)  # shown at the lowest value, when special
                number = isinstance(value, int | float) and not isinstance(value, bool)
                spin.setValue(value if number else low)
                spin.valueChanged.connect(self.changed)
                return spin
        kind = schema.get("type")
        if "enum" in schema:
            box = QComboBox()
            box.addItems([str(v) for v in schema["enum"]])
            box.setCurrentText(str(value or ""))
            box.currentTextChanged.connect(self.changed)
            return box
        if kind == "boolean":
            check = QCheckBox()
            check.setChecked(bool(value))
            check.toggled.connect(self.changed)
            return check
        edit = QLineEdit(_text(value))
        edit.textChanged.connect(lambda text: self._check(key, schema, text))
        return edit

    def _check(self, key: str, schema: dict, text: str) -> None:
        """Check a text field as it is typed: red with the reason in its tooltip when invalid."""
        problem = _problem(key, schema, text)
        field = self.fields[key]
        if problem:
            self._problems[key] = problem
            field.setStyleSheet(INVALID_STYLE)
            field.setToolTip(problem)
        elif self._problems.pop(key, None):
            field.setStyleSheet("")
            field.setToolTip(field.property("doc"))
        self.changed.emit()

    # -- values ----------------------------------------------------------------------------------

    def problems(self) -> dict[str, str]:
        """The invalid fields and why."""
        return dict(self._problems)

    def value(self, key: str) -> Any:
        field = self.fields[key]
        if isinstance(field, QSpinBox | QDoubleSpinBox):
            return field.value()
        if isinstance(field, QCheckBox):
            return field.isChecked()
        if isinstance(field, QComboBox):
            return field.currentText()
        text, kind = field.text(), self.schemas[key].get("type")
        if kind in ("integer", "object", "array"):
            try:
                return json.loads(text)
            except ValueError:
                return text
        if text == "" and isinstance(kind, list) and "null" in kind:
            return None
        return text

    def changes(self) -> dict[str, Any]:
        """The fields changed from their current values, as JSON values."""
        out = {}
        for key in self.fields:
            value = self.value(key)
            if value != self.current[key]:
                out[key] = value
        return out

    def set_text(self, key: str, text: str) -> None:
        """Type into a field (a spin box takes the number, a check box "true" or "false")."""
        field = self.fields[key]
        if isinstance(field, QSpinBox):
            field.setValue(int(text))
        elif isinstance(field, QDoubleSpinBox):
            field.setValue(float(text))
        elif isinstance(field, QCheckBox):
            field.setChecked(text == "true")
        elif isinstance(field, QComboBox):
            field.setCurrentText(text)
        else:
            field.setText(text)


def _kind(schema: dict) -> str:
    """A schema's kind in words, when the model's tables name none."""
    kind = schema.get("type", "a choice")
    return KIND_WORDS.get(kind, kind)


class FormDialog(QDialog):
    """A KeyForm in a dialog: OK sends the changed fields through `send` (nothing changed:
    nothing sent) and closes with the answer in `saved`; while a field is invalid OK is
    disabled and the reasons show; the server's refusal shows and the dialog stays open."""

    saved = pyqtSignal(dict)  # the server's answer

    def __init__(
        self,
        title: str,
        form: KeyForm,
        send: Callable[[dict], Awaitable[dict]],
        call: Callable[[Awaitable], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.form, self.fields, self._send_changes, self._call = form, form.fields, send, call
        form.changed.connect(self._show_problems)
        scroll = QScrollArea()
        scroll.setWidget(form)
        scroll.setWidgetResizable(True)
        self.error = QLabel(wordWrap=True)
        self.error.setStyleSheet("color: #d03030")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.resize(560, 640)

    def set_field(self, key: str, text: str) -> None:
        self.form.set_text(key, text)

    def changes(self) -> dict[str, Any]:
        """The fields changed, as the JSON values to send."""
        return self.form.changes()

    def _show_problems(self) -> None:
        problems = self.form.problems()
        self.error.setText("\n".join(problems.values()))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not problems)

    def save(self) -> None:
        if self.form.problems():
            return
        changes = self.changes()
        if not changes:
            self.accept()
            return
        self.error.clear()
        self.buttons.setEnabled(False)
        self._call(self._send(changes))

    async def _send(self, changes: dict[str, Any]) -> None:
        try:
            answer = await self._send_changes(changes)
        except FarmError as error:
            self.error.setText(str(error))
            return
        finally:
            self.buttons.setEnabled(True)
        self.saved.emit(answer)
        self.accept()


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value)


def _problem(key: str, schema: dict, text: str) -> str | None:
    """Why a text field's text is not a value of its schema (None: it is)."""
    kind = schema.get("type")
    if kind == "integer":
        try:
            number = int(text)
        except ValueError:
            return f"{key}: expected a whole number"
        if not schema["minimum"] <= number <= schema["maximum"]:
            return f"{key}: from {schema['minimum']:,} to {schema['maximum']:,}"
        return None
    if kind in ("object", "array"):
        try:
            value = json.loads(text or ("{}" if kind == "object" else "[]"))
        except ValueError as error:
            return f"{key}: not JSON ({error.msg})"
        wanted = dict if kind == "object" else list
        if not isinstance(value, wanted):
            return f"{key}: expected a JSON {kind}"
        return None
    if "mask" in key or schema.get("format") == "regex":
        try:
            name_regex(text, key)
        except SpecError as error:
            return str(error)
    return None
