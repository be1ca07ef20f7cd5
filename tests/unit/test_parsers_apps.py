"""Application parsers: the logic their fixture logs do not show on their own."""

from pathlib import Path

from app.parsers import get_parser

LOGS = Path(__file__).resolve().parents[1] / "fixtures" / "logs"


def _parser(name: str, start: int = 0, end: int = 0):
    cls = get_parser(name)
    assert cls.name == name
    return cls(start, end)


# -- ffmpeg -----------------------------------------------------------------------------------


def test_ffmpeg_percent_from_time_over_duration():
    parser = _parser("ffmpeg")
    parser.feed("Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'in.mov':\n")
    parser.feed("  Duration: 00:00:10.00, start: 0.000000, bitrate: 512 kb/s\n")
    parser.feed("  Stream #0:1[0x2](und): Audio: aac (LC), 48000 Hz, stereo, fltp\n")
    parser.feed("size=     100kB time=00:00:02.50 bitrate= 327.7kbits/s speed=5.01x    \r")
    assert parser.percent == 25
    parser.feed("size=     200kB time=00:00:07.00 bitrate= 327.7kbits/s speed=5.01x    \r")
    assert parser.percent == 70


def test_ffmpeg_percent_from_frames_of_the_input():
    parser = _parser("ffmpeg")
    parser.feed("  Duration: 00:00:04.00, start: 0.000000, bitrate: N/A\n")
    parser.feed("  Stream #0:0: Video: png, rgb24(pc), 1280x720, 24 fps, 24 tbr, 24 tbn\n")
    parser.feed("frame=   48 fps= 30 q=28.0 size=  0kB time=00:00:00.00 bitrate=N/A speed=0x\r")
    assert parser.percent == 50
    assert parser.frame is None  # a one-frame task: no frame offsets


def test_ffmpeg_percent_and_frame_from_the_tasks_frames():
    parser = _parser("ffmpeg", 1001, 1100)
    parser.feed("frame=   25 fps= 30 q=28.0 size=  0kB time=00:00:00.00 bitrate=N/A speed=0x\r")
    assert (parser.percent, parser.frame) == (25, 24)


def test_ffmpeg_percent_never_goes_back():
    parser = _parser("ffmpeg")
    parser.feed("  Duration: 00:00:04.00, start: 0.000000, bitrate: N/A\n")
    parser.feed("  Stream #0:0: Video: png, rgb24(pc), 1280x720, 24 fps, 24 tbr, 24 tbn\n")
    parser.feed("frame=   72 fps= 30 q=28.0 size=  0kB time=00:00:00.10 bitrate=N/A speed=0x\r")
    parser.feed("frame=   72 fps= 30 q=28.0 size=  0kB time=00:00:00.00 bitrate=N/A speed=0x\r")
    assert parser.percent == 75


def test_ffmpeg_recorded_sequence_progresses_on_the_way():
    text = (LOGS / "ffmpeg" / "sequence.log").read_text()
    parser = _parser("ffmpeg", 1, 96)
    seen = []
    for chunk in text.replace("\r", "\n").splitlines(keepends=True):
        parser.feed(chunk)
        if parser.progress_changed():
            seen.append(parser.percent)
    assert seen == sorted(seen)
    assert len(seen) > 10 and seen[-1] == 100


def test_ffmpeg_streams_of_the_output_are_not_inputs():
    parser = _parser("ffmpeg")
    parser.feed("Output #0, mp4, to '/out/a b.mp4':\n")
    parser.feed("  Duration: 00:00:01.00, start: 0.000000, bitrate: N/A\n")
    parser.feed("frame=   10 fps=0.0 q=0.0 size=  0kB time=00:00:00.50 bitrate=N/A speed=0x\r")
    assert parser.files == ["/out/a b.mp4"]
    assert parser.percent is None
