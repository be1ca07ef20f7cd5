"""Edit a job's or a block's editable parameters in typed fields (app/ui/key_form.py), grouped
and documented from the job model's tables; the server validates.

The form lists every key of JOB_EDITABLE (BLOCK_EDITABLE for a block) with the value the job
shows. Only the fields changed are sent, as one PATCH. While a field is invalid (a mask that
is not a regular expression, JSON that is not an object...) OK is disabled and the reason shows;
a refusal (400) shows the server's message in the dialog, which stays open.
"""

from __future__ import annotations

from PyQt6.QtWidgets import QWidget

from app import protocol
from app.core.jobspec import (
    BLOCK_EDITABLE,
    BLOCK_INTS,
    JOB_EDITABLE,
    JOB_INTS,
    block_schema,
    job_schema,
)
from app.ui.client import FarmClient
from app.ui.key_form import FormDialog, KeyForm


class JobDialog(FormDialog):
    """The editable parameters of a job (block=None) or of one of its blocks; `saved` gives
    the job summary the server answered."""

    def __init__(
        self,
        client: FarmClient,
        job: dict,
        block: int | None = None,
        parent: QWidget | None = None,
    ) -> None:
        item = job if block is None else job["blocks"][block]
        what = f"job {job['id']} {job['name']}"
        if block is None:
            keys, schema, kinds, ints = JOB_EDITABLE, job_schema(), protocol.JOB_KEYS, JOB_INTS
        else:
            keys, schema = BLOCK_EDITABLE, block_schema()
            kinds, ints = protocol.BLOCK_KEYS, BLOCK_INTS
        defaults = {key: limits[0] for key, limits in ints.items()}
        super().__init__(
            f"Edit {what}" if block is None else f"Edit block {item['name']} of {what}",
            KeyForm(keys, schema["properties"], kinds, defaults, item),
            lambda changes: client.edit_job(job["id"], changes, block),
            client.call,
            parent,
        )
        self.job_id, self.block = job["id"], block
