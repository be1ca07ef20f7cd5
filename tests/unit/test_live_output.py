"""The live output of running runs: a bounded tail per run, in memory."""

from app.server.live_output import LiveOutput

KEY = (1, 0, 7, 1)


def test_a_run_has_live_output_from_its_start_until_it_is_dropped():
    live = LiveOutput()
    assert live.get(KEY) is None
    live.start(KEY)
    assert live.get(KEY) == ""
    live.append(KEY, "frame 1\n")
    live.append(KEY, "frame 2\n")
    assert live.get(KEY) == "frame 1\nframe 2\n"
    assert live.get((1, 0, 7, 2)) is None  # another run of the same task
    live.drop(KEY)
    assert live.get(KEY) is None


def test_the_oldest_chunks_go_past_the_limit_and_the_newest_always_stays():
    live = LiveOutput(limit=10)
    for text in ("aaaa", "bbbb", "cccc"):
        live.append(KEY, text)
    assert live.get(KEY) == "bbbbcccc"
    live.append(KEY, "d" * 25)  # alone over the limit: kept whole
    assert live.get(KEY) == "d" * 25
    live.append(KEY, "e")
    assert live.get(KEY) == "e"


def test_a_runs_last_line_is_its_activity():
    live = LiveOutput()
    assert live.last_line(KEY) is None
    live.start(KEY)
    live.append(KEY, "rendering\n\n  ")
    assert live.last_line(KEY) == "rendering"
    live.append(KEY, "progress 10%\rprogress 20%\r")  # a bar redrawn in place: its latest
    assert live.last_line(KEY) == "progress 20%"
    live.append(KEY, "x" * 1000)
    assert live.last_line(KEY) == "x" * 300  # LINE_LIMIT
