"""What is worth telling a person, from the farm's events: the notices of the monitor and tray.

`FarmNotices` follows one user's jobs and renders through the client's events (seeded with the
farm as it is whenever the client comes online, so only changes are told): a job of theirs is
done, a job of theirs is failing or in error, a render of theirs went offline. The tray's own
notices (a farm task started or failed on this workstation) are told by app/ui/tray.py. Each
notice has a kind (NOTICES); only the kinds the person chose (the settings' Notifications page)
reach the notifier (app/ui/notifier.py), anything with `notify(title, text)`.
"""

from __future__ import annotations

from typing import Protocol

from PyQt6.QtCore import QObject

from app.ui.client import FarmClient
from app.ui.state_looks import FAILED_KINDS, job_kind

# kind -> what the settings page calls it
NOTICES = {
    "job_done": "A job of mine is done",
    "job_failing": "A job of mine is failing or in error",
    "render_offline": "A render of mine went offline",
    "task_started_here": "A farm task started on this workstation (tray)",
    "task_failed_here": "A farm task failed on this workstation (tray)",
}


class Notifier(Protocol):
    def notify(self, title: str, text: str) -> None: ...


def job_outcome(job: dict) -> str | None:
    """The notice a job's state is worth: "job_done", "job_failing" or None."""
    if "DON" in job["state"].split():
        return "job_done"
    return "job_failing" if job_kind(job) in FAILED_KINDS else None


class NoticeFilter:
    """Hands the notices of the chosen kinds to a notifier."""

    def __init__(self, notifier: Notifier, kinds: set[str]) -> None:
        self.notifier = notifier
        self.kinds = kinds

    def tell(self, kind: str, title: str, text: str) -> None:
        if kind in self.kinds:
            self.notifier.notify(title, text)


class FarmNotices(QObject):
    """The notices of `user`'s jobs and renders, told through `notices`."""

    def __init__(self, client: FarmClient, user: str, notices: NoticeFilter) -> None:
        super().__init__(client)
        self.client = client
        self.user = user
        self.notices = notices
        self._jobs: dict[int, str | None] = {}  # my job -> its last outcome
        self._online: dict[int, bool] = {}  # my render -> online
        client.jobs_changed.connect(self._jobs_changed)
        client.renders_changed.connect(self._renders_changed)
        client.state_changed.connect(self._state_changed)
        self._state_changed(client.state)

    def _state_changed(self, state: str) -> None:
        """Online (again): what is now is not news; only what changes from it is."""
        if state == "online" and self.user:
            self.client.call(self.client.jobs(), lambda jobs: self._jobs_changed(jobs, False))
            self.client.call(
                self.client.renders(), lambda renders: self._renders_changed(renders, False)
            )

    def _jobs_changed(self, jobs: list[dict], tell: bool = True) -> None:
        for job in jobs:
            if job["user_name"] != self.user:
                continue
            outcome = job_outcome(job)
            before = self._jobs.get(job["id"])
            self._jobs[job["id"]] = outcome
            if tell and outcome is not None and outcome != before:
                news = "is done" if outcome == "job_done" else f"is failing ({job['state']})"
                self.notices.tell(outcome, f"Job {job['name']}", f"Job {job['id']} {news}")

    def _renders_changed(self, renders: list[dict], tell: bool = True) -> None:
        for render in renders:
            if render.get("user_name") != self.user or "online" not in render:
                continue
            was = self._online.get(render["id"])
            self._online[render["id"]] = render["online"]
            if tell and was and not render["online"]:
                self.notices.tell("render_offline", f"Render {render['name']}", "went offline")
