"""The submit panel (``nuke.Panel``): the job's settings, then the job id or the error."""

import nuke

from . import api, submit

_TEXT_FIELDS = (("server", "Server"), ("job_name", "Job name"))
_NUMBER_FIELDS = (("frames_per_task", "Frames per task"), ("priority", "Priority"))
_CHECKS = (("paused", "Paused"), ("selected_only", "Selected Write nodes only"))
SUBMIT = 1  # the number of the Submit button (Cancel is 0)


def show():
    """Ask for the settings and submit the script's Write nodes."""
    panel = nuke.Panel("Submit to Corral")
    defaults = {
        "server": api.default_server(),
        "job_name": "",
        "frames_per_task": "10",
        "priority": "99",
        "paused": False,
        "selected_only": bool(nuke.selectedNodes("Write")),
    }
    for key, label in _TEXT_FIELDS + _NUMBER_FIELDS:
        panel.addSingleLineInput(label, defaults[key])
    for key, label in _CHECKS:
        panel.addBooleanCheckBox(label, defaults[key])
    panel.addButton("Cancel")
    panel.addButton("Submit")
    if panel.show() != SUBMIT:
        return
    try:
        job_id = submit.submit(_settings(panel))
    except (ValueError, api.CorralError) as exc:
        nuke.message(f"Not submitted: {exc}")
        return
    nuke.message(f"Submitted job {job_id}")


def _settings(panel):
    values = {key: panel.value(label) for key, label in _TEXT_FIELDS}
    values.update((key, bool(panel.value(label))) for key, label in _CHECKS)
    for key, label in _NUMBER_FIELDS:
        text = panel.value(label).strip()
        try:
            values[key] = int(text)
        except ValueError:
            raise ValueError(f"{label}: {text!r} is not a whole number") from None
    return submit.Settings(**values)
