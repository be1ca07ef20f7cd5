"""Submit a scene (or any command) without a DCC plugin, like Afanasy's afstarter.

The form builds a numeric block: the service's `batch_command` from the scene, the output and
the service's options, over a frame range. "Add block" keeps the form's block in the job's list
of blocks and leaves the form for the next one (a comp after its renders, say); the job is the
kept blocks, then the form's. The form's block may wait for one of the kept blocks or all of
them ("Waits for": its depend_mask), or, "task by task", each of its tasks for the same frames
of those (its tasks_depend_mask); kept blocks get names unique in the job (Afanasy's rule,
`unique_name`), so the masks name exactly them, and one that a later block waits for stays.
An Open Job Description template as the scene shows its job parameters as a form instead
(app/ui/template_form.py) and makes the template's job.
The preview lists the first tasks exactly as the server will name and run them (the job is
parsed with the server's own `parse_job`), so a mistake shows before anything is sent (from the
user's first edit or Submit on: the dialog opens without an error). A refusal from the server
shows in the dialog, which stays open.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence

from PyQt6.QtCore import pyqtSignal
from PyQt6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QSpinBox,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.api import numeric_job
from app.core.errors import SpecError
from app.core.jobspec import BlockSpec, parse_job, unique_name
from app.core.key_docs import BLOCK
from app.platform import host_os
from app.services import SERVICES, get_service
from app.ui.client import FarmClient, FarmError
from app.ui.template_form import TemplateForm

PREVIEW_TASKS = 50
FRAME_LIMIT = 10_000_000


def _spin(value: int, low: int, high: int) -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(low, high)
    spin.setValue(value)
    return spin


class SubmitDialog(QDialog):
    """Scene, service, frames, options; a preview of the tasks; Submit sends the job."""

    submitted = pyqtSignal(int)  # the new job's id

    def __init__(self, client: FarmClient, user: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Submit a job")
        self.client = client
        self.user = user
        self.scene = QLineEdit()
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        scene_row = QHBoxLayout()
        scene_row.addWidget(self.scene)
        scene_row.addWidget(browse)
        self.name = QLineEdit(placeholderText="the scene's file name")
        self.service = QComboBox()
        self.service.addItems(sorted(name for name, _cls, _where in SERVICES.items()))
        self.service.setCurrentText("generic")
        self.first = _spin(1, -FRAME_LIMIT, FRAME_LIMIT)
        self.last = _spin(10, -FRAME_LIMIT, FRAME_LIMIT)
        self.step = _spin(1, 1, FRAME_LIMIT)
        self.per_task = _spin(0, 0, FRAME_LIMIT)  # 0: as the service says (a movie: all)
        self.per_task.setSpecialValueText("default")
        frames = QHBoxLayout()
        for label, spin in (
            ("first", self.first),
            ("last", self.last),
            ("step", self.step),
            ("per task", self.per_task),
        ):
            frames.addWidget(QLabel(label))
            frames.addWidget(spin)
        self.priority = _spin(99, 0, 250)
        self.hosts_mask = QLineEdit(placeholderText="regular expression on render names")
        self.depend_mask = QLineEdit(placeholderText="regular expression on job names")
        self.output = QLineEdit()
        self.paused = QCheckBox("start paused")
        self.waits_for = QComboBox(toolTip=BLOCK["depend_mask"])
        self.task_by_task = QCheckBox("task by task", toolTip=BLOCK["tasks_depend_mask"])
        waits_row = QHBoxLayout()
        waits_row.addWidget(self.waits_for, 1)
        waits_row.addWidget(self.task_by_task)

        form = QFormLayout()
        form.addRow("Scene", scene_row)
        form.addRow("Name", self.name)
        form.addRow("Service", self.service)
        form.addRow("Frames", frames)
        form.addRow("Waits for", waits_row)
        form.addRow("Priority", self.priority)
        form.addRow("Hosts mask", self.hosts_mask)
        form.addRow("Depend mask", self.depend_mask)
        form.addRow("Output", self.output)
        form.addRow("", self.paused)
        self.options_box = QGroupBox("Service options")
        self.options_form = QFormLayout(self.options_box)
        self.options: dict[str, QLineEdit] = {}
        self.template_form = TemplateForm()
        self.template_form.changed.connect(self.refresh_preview)
        self.template_form.hide()
        self._template_error = ""

        self.kept_blocks: list[dict] = []  # blocks added before the form's one
        self.blocks_list = QListWidget()
        self.blocks_list.setMaximumHeight(80)
        self.add_block_button = QPushButton("Add block")
        self.add_block_button.setToolTip("Keep this block in the job and set up the next one")
        self.add_block_button.clicked.connect(self.add_block)
        self.remove_block_button = QPushButton("Remove block")
        self.remove_block_button.clicked.connect(self.remove_block)
        blocks_row = QHBoxLayout()
        blocks_row.addWidget(self.blocks_list, 1)
        block_buttons = QVBoxLayout()
        block_buttons.addWidget(self.add_block_button)
        block_buttons.addWidget(self.remove_block_button)
        block_buttons.addStretch(1)
        blocks_row.addLayout(block_buttons)
        self.blocks_box = QGroupBox("Blocks kept before this one")
        self.blocks_box.setLayout(blocks_row)

        self.preview = QTreeWidget()
        self.preview.setHeaderLabels(["Task", "Command"])
        self.preview.setRootIsDecorated(False)
        self.preview.setColumnWidth(0, 140)
        self.status = QLabel(wordWrap=True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.submit_button = self.buttons.addButton(
            "Submit", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.options_box)
        layout.addWidget(self.template_form)
        layout.addWidget(self.blocks_box)
        layout.addWidget(QLabel("Preview"))
        layout.addWidget(self.preview, 1)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.resize(720, 760)

        self.scene.textChanged.connect(self._scene_changed)
        for edit in (self.name, self.hosts_mask, self.depend_mask, self.output):
            edit.textChanged.connect(self.refresh_preview)
        for spin in (self.first, self.last, self.step, self.per_task, self.priority):
            spin.valueChanged.connect(self.refresh_preview)
        self.paused.toggled.connect(self.refresh_preview)
        self.task_by_task.toggled.connect(self.refresh_preview)
        self.waits_for.currentIndexChanged.connect(self._waits_changed)
        self._show_waits()
        self.service.currentTextChanged.connect(self._service_changed)
        self._service_changed(self.service.currentText())
        self.status.clear()  # opens clean: what is missing shows once the user acts
        self.submit_button.setEnabled(True)

    def _browse(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(self, "Scene file", self.scene.text())
        if path:
            self.scene.setText(path)

    def _scene_changed(self, path: str) -> None:
        """A template shows its parameters in place of the service, frames and options."""
        try:
            self.template_form.load(path.strip())
            self._template_error = ""
        except ValueError as error:
            self._template_error = str(error)
        is_template = self.template_form.template is not None or bool(self._template_error)
        self.template_form.setVisible(is_template)
        self.options_box.setVisible(not is_template)
        for widget in (self.service, self.first, self.last, self.step, self.per_task, self.output):
            widget.setEnabled(not is_template)
        self.blocks_box.setEnabled(not is_template)
        self._show_waits()  # and the preview

    def _service_changed(self, name: str) -> None:
        while self.options_form.rowCount():
            self.options_form.removeRow(0)
        self.options = {}
        for option, meaning in get_service(name).options.items():
            edit = QLineEdit(toolTip=meaning, placeholderText=meaning)
            edit.textChanged.connect(self.refresh_preview)
            self.options_form.addRow(option, edit)
            self.options[option] = edit
        self.refresh_preview()

    def _show_waits(self) -> None:
        """The choices of "Waits for": nothing, each kept block, all of them (the text of
        each, its depend mask as the data); the choice stays while it is offered."""
        names = [block["name"] for block in self.kept_blocks]
        choices = [("nothing", ""), *((name, re.escape(name)) for name in names)]
        if len(names) > 1:
            choices.append(("all blocks above", "|".join(map(re.escape, names))))
        chosen = self.waits_for.currentText()
        self.waits_for.blockSignals(True)
        self.waits_for.clear()
        for text, mask in choices:
            self.waits_for.addItem(text, mask)
        self.waits_for.setCurrentIndex(max(self.waits_for.findText(chosen), 0))
        self.waits_for.blockSignals(False)
        usable = bool(names) and self.template_form.template is None
        self.waits_for.setEnabled(usable)
        self._waits_changed()

    def _waits_changed(self) -> None:
        self.task_by_task.setEnabled(
            self.waits_for.isEnabled() and bool(self.waits_for.currentData())
        )
        self.refresh_preview()

    def add_block(self) -> None:
        """Keep the form's block in the job (named after its service, made unique) for the
        next one."""
        try:
            block = self._form_job()["blocks"][0]
        except ValueError as error:
            self._show_error(error)
            return
        used = {kept["name"] for kept in self.kept_blocks}
        block["name"] = unique_name(self.service.currentText(), used, {})
        self.kept_blocks.append(block)
        first, last = block.get("frame_first"), block.get("frame_last")
        self.blocks_list.addItem(f"{block['name']}: frames {first}-{last}{self._waits_text()}")
        self.waits_for.setCurrentIndex(0)
        self.task_by_task.setChecked(False)
        self._show_waits()

    def _waits_text(self) -> str:
        """How the blocks list says what the form's block waits for."""
        if not self.waits_for.currentData():
            return ""
        how = ", task by task" if self.task_by_task.isChecked() else ""
        return f", waits for {self.waits_for.currentText()}{how}"

    def remove_block(self) -> None:
        """Forget the selected kept block (the last one when none is selected), unless a
        later kept block waits for it."""
        row = self.blocks_list.currentRow()
        row = row if row >= 0 else self.blocks_list.count() - 1
        if row >= 0:
            name = self.kept_blocks[row]["name"]
            for later in self.kept_blocks[row + 1 :]:
                masks = (later.get("depend_mask", ""), later.get("tasks_depend_mask", ""))
                if any(mask and re.fullmatch(mask, name) for mask in masks):
                    self._show_error(f"{later['name']} waits for {name}: remove it first")
                    return
            del self.kept_blocks[row]
            self.blocks_list.takeItem(row)
            self._show_waits()

    def job(self) -> dict:
        """The job to send; ValueError (SpecError too) says what is wrong."""
        if self._template_error:
            raise ValueError(self._template_error)
        if self.template_form.template is not None:
            return self._template_job()
        job = self._form_job()
        if self.kept_blocks:
            job["blocks"] = [*self.kept_blocks, *job["blocks"]]
            parse_job(job)
        return job

    def _form_job(self) -> dict:
        """The job of the form's block alone."""
        service = get_service(self.service.currentText())
        options = {key: edit.text() for key, edit in self.options.items() if edit.text()}
        scene = self.scene.text().strip()
        output = self.output.text().strip()
        command = service.batch_command(scene, output, host_os(), **options)
        first, last, step = self.first.value(), self.last.value(), self.step.value()
        per_task = service.frames_per_task(first, last, step, self.per_task.value() or None, output)
        extra = {
            key: edit.text().strip()
            for key, edit in (("hosts_mask", self.hosts_mask), ("depend_mask", self.depend_mask))
            if edit.text().strip()
        }
        name = self.name.text().strip() or os.path.basename(scene) or service.name
        job = numeric_job(
            name,
            command,
            first,
            last,
            per_task,
            step,
            service=service.name,
            user_name=self.user or None,
            priority=self.priority.value(),
            paused=self.paused.isChecked(),
            block_extra=self._depends(),
            **extra,
        )
        parse_job(job)
        return job

    def _depends(self) -> dict[str, str]:
        """The form's block's dependency on kept blocks: its depend_mask or, task by task,
        its tasks_depend_mask."""
        mask = self.waits_for.currentData() if self.waits_for.isEnabled() else ""
        if not mask:
            return {}
        return {"tasks_depend_mask" if self.task_by_task.isChecked() else "depend_mask": mask}

    def _template_job(self) -> dict:
        """The template's job with the dialog's name, user, priority, masks and pause."""
        job = self.template_form.job()
        keys = {
            "name": self.name.text().strip(),
            "user_name": self.user,
            "hosts_mask": self.hosts_mask.text().strip(),
            "depend_mask": self.depend_mask.text().strip(),
        }
        job.update({key: value for key, value in keys.items() if value})
        job["priority"] = self.priority.value()
        if self.paused.isChecked():
            job["offline"] = True
        parse_job(job)
        return job

    def refresh_preview(self) -> None:
        """Show the first tasks of the job as the form stands, or what is wrong with it."""
        self.preview.clear()
        try:
            blocks = parse_job(self.job()).blocks
        except ValueError as error:
            self._show_error(error)
            return
        count = sum(block.tasks_num for block in blocks)
        items = [QTreeWidgetItem(row) for row in _first_tasks(blocks, PREVIEW_TASKS)]
        self.preview.addTopLevelItems(items)
        more = f" (the first {PREVIEW_TASKS} shown)" if count > PREVIEW_TASKS else ""
        self.status.setStyleSheet("")
        self.status.setText(f"{count} task(s){more}")
        self.submit_button.setEnabled(True)

    def _show_error(self, error: Exception | str) -> None:
        if isinstance(error, SpecError):
            error = f"{error.field}: {error.message}" if error.field else error.message
        self.status.setStyleSheet("color: #d03030")
        self.status.setText(str(error))
        self.submit_button.setEnabled(False)

    def submit(self) -> None:
        try:
            job = self.job()
        except ValueError as error:
            self._show_error(error)
            return
        self.submit_button.setEnabled(False)
        self.client.call(self._send(job))

    async def _send(self, job: dict) -> None:
        try:
            job_id = await self.client.submit(job)
        except FarmError as error:
            self._show_error(f"refused: {error}")
            return
        self.submitted.emit(job_id)
        self.accept()


def _first_tasks(blocks: Sequence[BlockSpec], limit: int) -> list[list[str]]:
    """[name, command] of the first tasks of the blocks, block after block (a name is
    "block: task" when there are several blocks)."""
    out: list[list[str]] = []
    for block in blocks:
        prefix = f"{block.name}: " if len(blocks) > 1 else ""
        for n in range(min(block.tasks_num, limit - len(out))):
            out.append([prefix + block.task_name(n), block.task_command(n)])
    return out
