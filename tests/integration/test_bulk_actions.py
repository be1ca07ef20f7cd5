"""One action on many jobs or renders, chosen by ids, names or a name mask."""

from __future__ import annotations

import pytest

from app.api import CorralError, numeric_job


def test_jobs_and_renders_by_mask_and_ids(farm):
    farm.start_server()
    ids = [
        farm.client.submit(numeric_job(name, "true", 1, 2, user_name="t", paused=True))
        for name in ("shot_010", "shot_020", "asset_chair")
    ]
    answer = farm.client.jobs_action("start", mask="shot_.*")
    assert answer["jobs"] == ids[:2]
    assert ["OFF" in farm.client.job(i)["state"] for i in ids] == [False, False, True]
    with pytest.raises(CorralError) as caught:  # one unknown id: nothing changes
        farm.client.jobs_action("delete", ids=[ids[2], 999])
    assert caught.value.status == 404
    assert len(farm.client.jobs()) == 3
    with pytest.raises(CorralError) as caught:
        farm.client.jobs_action("start", mask="([")
    assert caught.value.field == "mask"

    farm.start_render("farm01", 1)
    farm.start_render("farm02", 1)
    farm.start_render("ws01", 1)
    farm.wait_renders(3)
    chosen = farm.client.renders_action("NIMBY", mask="farm0[12]")["renders"]
    assert sorted(chosen) == ["farm01", "farm02"]
    nimby = {r["name"]: r["nimby"] for r in farm.client.renders()}
    assert nimby == {"farm01": "NIMBY", "farm02": "NIMBY", "ws01": "free"}
    farm.client.renders_action("free", names=["farm01"])
    assert farm.client.render("farm01")["nimby"] == "free"
