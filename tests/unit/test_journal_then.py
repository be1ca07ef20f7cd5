"""Journal.then: a commit's callback runs the moment the batch resolves, before the future's
own done-callbacks (which asyncio runs a loop turn later), on a real SQLite store."""

from __future__ import annotations

import asyncio

from app.server.persistence import Journal, open_database


async def test_then_runs_before_the_done_callbacks_and_sees_the_outcome(tmp_path):
    db = open_database(f"sqlite:///{tmp_path / 'corral.db'}")
    journal = Journal(db, asyncio.get_running_loop())
    order: list[str] = []
    try:

        def broken():
            raise RuntimeError("disk on fire")

        for name, operation in (("good", lambda: None), ("bad", broken)):
            future = journal.write(operation)
            future.add_done_callback(lambda f, name=name: order.append(f"{name} done-callback"))
            journal.then(future, lambda f, name=name: order.append(f"{name} then {f.exception()}"))
            await asyncio.wait([future])
            await asyncio.sleep(0)  # the done-callbacks' turn
        journal.then(future, lambda f: order.append("already done"))  # called at once
        assert order == [
            "good then None",
            "good done-callback",
            "bad then disk on fire",
            "bad done-callback",
            "already done",
        ]
    finally:
        journal.close()
        db.close()
