"""Job edit, submit and settings dialogs against a real server."""

from pathlib import Path

import keyring
import keyring.backends.fail
import pytest
from PyQt6.QtCore import QSettings
from PyQt6.QtWidgets import QCheckBox, QComboBox, QDialog, QDialogButtonBox, QSpinBox

from app.api import numeric_job
from app.core.key_docs import BLOCK, JOB
from app.credentials import KEYRING_SERVICE, find_token
from app.ui.job_dialog import JobDialog
from app.ui.jobs_view import with_spec
from app.ui.main_window import MainWindow
from app.ui.settings import Settings, SettingsDialog, load_settings
from app.ui.submit_dialog import SubmitDialog
from tests.keyrings import MemoryKeyring
from tests.polling import until
from tests.ui.conftest import shown

pytestmark = pytest.mark.usefixtures("keep_running")
OPENJD = Path(__file__).resolve().parents[1] / "fixtures" / "openjd"


async def test_edit_dialog_shows_the_server_refusal_and_saves_a_good_value(client, qtbot):
    job_id = await client.submit(numeric_job("shot", "echo @#@", 1, 3, user_name="ann"))
    dialog = shown(qtbot, JobDialog(client, await client.job(job_id)))
    priority = dialog.fields["priority"]
    assert isinstance(priority, QSpinBox) and priority.value() == 99
    assert (priority.minimum(), priority.maximum()) == (0, 250)  # the schema's limits
    assert "from 0 to 250; default 99" in priority.toolTip()
    assert priority.toolTip().startswith(JOB["priority"] + "\n")  # what the key means first
    assert isinstance(dialog.fields["offline"], QCheckBox)
    assert isinstance(dialog.fields["hosts_mask_type"], QComboBox)
    assert dialog.changes() == {}
    titles = list(dialog.form.groups)
    assert titles[:3] == ["Scheduling", "Hosts", "Dependencies"] and "Notes" in titles

    dialog.set_field("priority", "999")  # the spin box stops at 250
    assert dialog.changes() == {"priority": 250}
    dialog.set_field("folders", '{"renders": 5}')  # an object, but the server wants text
    dialog.save()
    await until(lambda: dialog.error.text())
    assert "folders" in dialog.error.text() and dialog.isVisible()
    assert (await client.job(job_id))["priority"] == 99

    dialog.set_field("folders", "")
    dialog.set_field("priority", "120")
    dialog.set_field("annotation", "for review")
    assert dialog.changes() == {"priority": 120, "annotation": "for review"}
    dialog.save()
    await until(lambda: dialog.result() == QDialog.DialogCode.Accepted)
    job = await client.job(job_id)
    assert job["priority"] == 120 and job["annotation"] == "for review"


async def test_edit_dialog_for_a_block_checks_masks_as_you_type(client, qtbot):
    job_id = await client.submit(numeric_job("shot", "echo @#@", 1, 3, user_name="ann"))
    dialog = shown(qtbot, JobDialog(client, await client.job(job_id), block=0))
    assert "capacity" in dialog.fields and "priority" not in dialog.fields
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    dialog.set_field("depend_mask", "shot(")
    assert not ok.isEnabled() and "depend_mask" in dialog.error.text()
    assert "depend_mask" in dialog.fields["depend_mask"].toolTip()
    dialog.set_field("environment", "[1]")
    assert "environment: expected a JSON object" in dialog.error.text()
    dialog.set_field("depend_mask", "shot.*")
    dialog.set_field("environment", '{"A": "1"}')
    assert ok.isEnabled() and dialog.error.text() == ""
    assert "a regular expression" in dialog.fields["depend_mask"].toolTip()
    assert BLOCK["depend_mask"] in dialog.fields["depend_mask"].toolTip()
    dialog.set_field("capacity", "500")
    dialog.save()
    await until(lambda: dialog.result() == QDialog.DialogCode.Accepted)
    block = (await client.job(job_id))["blocks"][0]
    assert block["capacity"] == 500
    spec = (await client.job_spec(job_id))["blocks"][0]
    assert spec["depend_mask"] == "shot.*" and spec["environment"] == {"A": "1"}


async def test_edit_dialog_shows_the_current_values_of_the_spec(client, qtbot):
    job = numeric_job(
        "shot",
        "echo @#@",
        1,
        3,
        user_name="ann",
        hosts_mask="farm.*",
        block_extra={"errors_retries": 2},
    )
    job_id = await client.submit(job)
    await client.edit_job(job_id, {"task_max_run_time": 600}, block=0)
    await client.edit_job(job_id, {"priority": 130})
    spec = await client.job_spec(job_id)
    assert spec["hosts_mask"] == "farm.*" and spec["blocks"][0]["task_max_run_time"] == 600
    full = with_spec(await client.job(job_id), spec)
    dialog = JobDialog(client, full)
    qtbot.addWidget(dialog)
    assert dialog.fields["hosts_mask"].text() == "farm.*"
    assert dialog.fields["priority"].value() == 130
    assert dialog.changes() == {}
    block = JobDialog(client, full, block=0)
    qtbot.addWidget(block)
    assert block.fields["errors_retries"].value() == 2
    assert block.fields["task_max_run_time"].value() == 600


def preview(dialog: SubmitDialog) -> list[tuple[str, str]]:
    items = [dialog.preview.topLevelItem(i) for i in range(dialog.preview.topLevelItemCount())]
    return [(item.text(0), item.text(1)) for item in items]


async def test_submit_dialog_previews_the_tasks_and_submits_the_job(client, qtbot):
    dialog = shown(qtbot, SubmitDialog(client, "ann"))
    assert dialog.status.text() == "" and dialog.submit_button.isEnabled()  # opens clean
    dialog.submit()
    assert "command" in dialog.status.text()  # the generic service needs its command
    assert not dialog.submit_button.isEnabled()

    dialog.options["command"].setText("echo @#@ @#@")
    dialog.last.setValue(10)
    dialog.per_task.setValue(3)
    dialog.name.setText("afstarter")
    assert preview(dialog) == [
        ("frame 1-3", "echo 1 3"),
        ("frame 4-6", "echo 4 6"),
        ("frame 7-9", "echo 7 9"),
        ("frame 10", "echo 10 10"),
    ]
    assert dialog.status.text() == "4 task(s)"

    dialog.depend_mask.setText("(")
    assert "depend_mask" in dialog.status.text() and not dialog.submit_button.isEnabled()
    dialog.depend_mask.setText("comp.*")
    dialog.paused.setChecked(True)
    submitted = []
    dialog.submitted.connect(submitted.append)
    dialog.submit()
    await until(lambda: submitted)
    job = await client.job(submitted[0])
    assert (job["name"], job["user_name"], job["tasks_total"]) == ("afstarter", "ann", 4)
    assert job["offline"] and dialog.result() == QDialog.DialogCode.Accepted


async def test_the_submit_dialog_makes_several_blocks(client, qtbot):
    dialog = shown(qtbot, SubmitDialog(client, "ann"))
    dialog.name.setText("shot")
    dialog.add_block()  # the generic service needs its command: nothing kept
    assert dialog.kept_blocks == [] and "command" in dialog.status.text()
    dialog.options["command"].setText("render @#@")
    dialog.last.setValue(4)
    dialog.add_block()
    assert dialog.blocks_list.item(0).text() == "generic: frames 1-4"
    dialog.options["command"].setText("comp @#@")
    dialog.last.setValue(2)
    assert dialog.status.text() == "6 task(s)"
    assert preview(dialog)[3:5] == [("generic: frame 4", "render 4"), ("shot: frame 1", "comp 1")]
    dialog.add_block()
    dialog.remove_block()  # the last one kept
    assert len(dialog.kept_blocks) == 1 and dialog.status.text() == "6 task(s)"
    submitted = []
    dialog.submitted.connect(submitted.append)
    dialog.submit()
    await until(lambda: submitted)
    blocks = (await client.job(submitted[0]))["blocks"]
    assert [(b["name"], b["tasks_total"]) for b in blocks] == [("generic", 4), ("shot", 2)]


async def test_the_submit_dialogs_blocks_wait_for_earlier_ones(client, qtbot):
    dialog = shown(qtbot, SubmitDialog(client, "ann"))
    dialog.name.setText("shot")
    assert not dialog.waits_for.isEnabled()  # no earlier block yet
    dialog.options["command"].setText("render @#@")
    dialog.last.setValue(4)
    dialog.add_block()
    dialog.add_block()  # the same service again: a name of its own
    assert [b["name"] for b in dialog.kept_blocks] == ["generic", "generic-1"]
    choices = [dialog.waits_for.itemText(i) for i in range(dialog.waits_for.count())]
    assert choices == ["nothing", "generic", "generic-1", "all blocks above"]
    assert not dialog.task_by_task.isEnabled()
    dialog.waits_for.setCurrentText("generic-1")
    assert dialog.task_by_task.isEnabled()
    dialog.remove_block()  # generic-1 goes: the choice falls back to nothing
    assert dialog.waits_for.currentText() == "nothing" and dialog.waits_for.count() == 2
    dialog.waits_for.setCurrentText("generic")
    dialog.add_block()  # generic-1 again, waiting for generic
    assert dialog.blocks_list.item(1).text() == "generic-1: frames 1-4, waits for generic"
    dialog.blocks_list.setCurrentRow(0)
    dialog.remove_block()  # generic-1 waits for it: it stays
    assert len(dialog.kept_blocks) == 2 and "generic-1 waits for generic" in dialog.status.text()
    dialog.blocks_list.setCurrentRow(1)
    dialog.remove_block()
    dialog.waits_for.setCurrentText("generic")
    dialog.task_by_task.setChecked(True)
    dialog.options["command"].setText("comp @#@")
    assert dialog.job()["blocks"][1]["tasks_depend_mask"] == "generic"
    submitted = []
    dialog.submitted.connect(submitted.append)
    dialog.submit()
    await until(lambda: submitted)
    spec = (await client.job_spec(submitted[0]))["blocks"]
    assert [(b["name"], b["depend_mask"], b["tasks_depend_mask"]) for b in spec] == [
        ("generic", "", ""),
        ("shot", "", "generic"),
    ]
    comp = await client.tasks(submitted[0], 1, 0, 10)
    assert {task["state"] for task in comp["tasks"]} == {"WDP"}  # each waits for its frame


async def test_submit_dialog_builds_an_application_command(client, qtbot):
    dialog = SubmitDialog(client)
    qtbot.addWidget(dialog)
    dialog.service.setCurrentText("maya")
    assert "renderer" in dialog.options
    assert "scene" in dialog.status.text()  # maya needs a scene
    dialog.scene.setText("/proj/shot.ma")
    dialog.last.setValue(4)
    dialog.per_task.setValue(2)
    first_name, first_command = preview(dialog)[0]
    assert first_name == "frame 1-2"
    assert first_command.startswith("Render -r file -s '1' -e '2' ")
    assert first_command.endswith("/proj/shot.ma")
    assert dialog.job()["name"] == "shot.ma"


async def test_submit_dialog_refuses_a_movie_in_pieces(client, qtbot):
    dialog = SubmitDialog(client)
    qtbot.addWidget(dialog)
    dialog.service.setCurrentText("ffmpeg")
    dialog.scene.setText("/out/f_####.png")
    dialog.output.setText("/out/m.mp4")
    dialog.last.setValue(6)
    assert [name for name, _command in preview(dialog)] == ["frame 1-6"]  # one task by default
    dialog.per_task.setValue(1)
    assert "6 tasks would each write /out/m.mp4" in dialog.status.text()
    assert not dialog.submit_button.isEnabled()


async def test_submit_dialog_offers_a_templates_parameters_as_a_form(client, qtbot, tmp_path):
    dialog = shown(qtbot, SubmitDialog(client, "ann"))
    dialog.scene.setText(str(OPENJD / "pipeline.yaml"))
    form = dialog.template_form
    assert form.isVisible() and not dialog.options_box.isVisible()
    assert list(form.fields) == ["OutDir", "Shot", "Frames"]
    assert form.fields["Shot"].currentText() == "sh010"  # allowed values: a list
    assert "OutDir" in dialog.status.text() and not dialog.submit_button.isEnabled()

    form.fields["OutDir"].setText(str(tmp_path))
    form.fields["Shot"].setCurrentText("sh020")
    form.fields["Frames"].setText("1-3")
    names = [name for name, _command in preview(dialog)]
    assert names[:3] == ["Render: Frame=1-2", "Render: Frame=3-3", "Combos: A=1, B=x, C=1"]
    assert dialog.status.text() == "7 task(s)"
    dialog.priority.setValue(120)
    submitted = []
    dialog.submitted.connect(submitted.append)
    dialog.submit()
    await until(lambda: submitted)
    job = await client.job(submitted[0])
    assert (job["name"], job["user_name"], job["priority"]) == ("Pipeline sh020", "ann", 120)
    assert [block["name"] for block in job["blocks"]] == ["Render", "Combos", "Report"]


def test_submit_dialog_names_what_is_wrong_with_a_template(client, qtbot, tmp_path):
    dialog = SubmitDialog(client)
    qtbot.addWidget(dialog)
    bad = tmp_path / "bad.yaml"
    bad.write_text("specificationVersion: jobtemplate-2023-09\nname: J\n")
    dialog.scene.setText(str(bad))
    assert "invalid Open Job Description template bad.yaml" in dialog.status.text()
    assert not dialog.submit_button.isEnabled()
    dialog.scene.setText("/proj/shot.ma")  # not a template: the service's form again
    assert dialog.template_form.template is None and dialog.service.isEnabled()


@pytest.fixture
def keyring_backend():
    """Set a keyring backend for the test (keyring.set_keyring); the previous one comes back."""
    previous = keyring.get_keyring()
    yield keyring.set_keyring
    keyring.set_keyring(previous)


def settings_dialog(qtbot, tmp_path, token: str = "") -> tuple[SettingsDialog, list, QSettings]:
    """The dialog on a settings file of the test's own; the tokens it hands on."""
    store = QSettings(str(tmp_path / "monitor.ini"), QSettings.Format.IniFormat)
    dialog = SettingsDialog(load_settings(store), token, store=store)
    qtbot.addWidget(dialog)
    handed = []
    dialog.token_changed.connect(handed.append)
    return dialog, handed, store


def test_settings_dialog_saves_settings_and_the_token_in_the_keyring(
    qtbot, tmp_path, keyring_backend
):
    backend = MemoryKeyring()
    keyring_backend(backend)
    dialog, handed, store = settings_dialog(qtbot, tmp_path)
    dialog.server.setText("http://farm:51000/")
    dialog.user.setText("ann")
    dialog.token.setText("crl_s3cret")
    dialog.resort.setValue(1000)
    dialog.accept()
    assert dialog.result() == QDialog.DialogCode.Accepted and dialog.warning.isHidden()
    assert load_settings(store) == Settings("http://farm:51000", "ann", 1000)
    assert backend.passwords == {(KEYRING_SERVICE, "http://farm:51000"): "crl_s3cret"}
    assert find_token("http://farm:51000") == "crl_s3cret"  # where the monitor looks at start
    assert handed == ["crl_s3cret"]
    assert "crl_s3cret" not in (tmp_path / "monitor.ini").read_text()


def test_an_unchanged_token_is_not_saved_again(qtbot, tmp_path, keyring_backend):
    backend = MemoryKeyring()
    keyring_backend(backend)
    dialog, handed, _ = settings_dialog(qtbot, tmp_path, token="crl_from_env")
    assert dialog.token.text() == "crl_from_env"
    dialog.accept()
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert backend.passwords == {} and handed == []


def test_without_a_keyring_the_token_serves_this_session_only(qtbot, tmp_path, keyring_backend):
    keyring_backend(keyring.backends.fail.Keyring())
    dialog, handed, _ = settings_dialog(qtbot, tmp_path)
    dialog.show()
    dialog.token.setText("crl_s3cret")
    dialog.accept()
    assert dialog.isVisible() and dialog.result() != QDialog.DialogCode.Accepted
    assert "no usable OS keyring" in dialog.warning.text()
    assert "this session only" in dialog.warning.text() and not dialog.warning.isHidden()
    assert handed == ["crl_s3cret"]  # the running monitor uses it
    dialog.accept()  # the message was read: OK again closes
    assert dialog.result() == QDialog.DialogCode.Accepted and handed == ["crl_s3cret"]
    assert "crl_s3cret" not in (tmp_path / "monitor.ini").read_text()


def test_the_monitor_uses_the_token_of_its_settings_at_once(
    client, qtbot, tmp_path, keyring_backend
):
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path))
    keyring_backend(MemoryKeyring())
    window = shown(qtbot, MainWindow(client, Settings(server=client.base_url)))
    dialog = window.open_settings()
    dialog.token.setText("crl_new")
    dialog.accept()
    assert client.token == "crl_new"
    assert find_token(client.base_url) == "crl_new"
