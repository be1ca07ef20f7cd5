"""Workstation NIMBY end to end: a real render reports its user's idle time (from
CORRAL_IDLE_SECONDS_FILE) and the server turns it NIMBY while the user works, free when idle."""

from __future__ import annotations

from tests.polling import wait_until


def test_user_activity_turns_the_render_nimby_and_idleness_frees_it(farm, tmp_path, monkeypatch):
    idle_file = tmp_path / "idle_seconds"
    idle_file.write_text("600")  # idle at first: the render stays free
    monkeypatch.setenv("CORRAL_IDLE_SECONDS_FILE", str(idle_file))
    farm.start_server("--heartbeat", "0.3")
    pools = farm.client.edit_pool(
        "/", {"idle_user_time": 60, "busy_nimby_time": 1, "idle_free_time": 1}
    )
    root = pools["pools"]["/"]
    assert (root["idle_user_time"], root["busy_nimby_time"], root["idle_free_time"]) == (60, 1, 1)
    farm.start_render("desk", None, "--heartbeat", "0.3")
    farm.wait_renders(1)

    def render():
        return farm.client.render("desk")

    wait_until(lambda: render()["resources"].get("idle_seconds") == 600, timeout=15)
    assert render()["nimby"] == "free"

    idle_file.write_text("5")  # the user works at the machine
    wait_until(lambda: render()["nimby"] == "NIMBY", timeout=15)
    assert render()["resources"]["idle_seconds"] == 5

    idle_file.write_text("600")  # the user left
    wait_until(lambda: render()["nimby"] == "free", timeout=15)
    assert "turned NIMBY automatically" in farm.logs(100_000)
    assert "turned free automatically" in farm.logs(100_000)
