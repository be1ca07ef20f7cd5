"""Path maps between the server side (paths as jobs hold them) and mixed-OS renders."""

import json

import pytest

from app.core.errors import SpecError
from app.core.path_maps import PathMap

# A studio: Windows workstations see the show server as P: and through UNC, macOS ones under
# /Volumes, Linux renders under /mnt.
STUDIO = "P:/shows=/mnt/shows;//fs01/shows=/mnt/shows;/Volumes/shows=/mnt/shows"


@pytest.fixture
def linux() -> PathMap:
    return PathMap.parse(STUDIO, "linux")


# -- whole paths ----------------------------------------------------------------------------------


def test_windows_maya_command_on_a_linux_render(linux):
    # Maya's submitter escapes the backslashes of -proj, not those of the scene
    command = r'Render -r arnold -proj "P:\\shows\\abc" P:\shows\abc\scenes\sh010.ma'
    assert linux.in_text(command, "to_client") == (
        'Render -r arnold -proj "/mnt/shows/abc" /mnt/shows/abc/scenes/sh010.ma'
    )


def test_linux_job_on_a_windows_render():
    windows = PathMap.parse("/mnt/shows=P:/shows", "windows")
    assert windows.to_client("/mnt/shows/abc/scenes/sh010.ma") == r"P:\shows\abc\scenes\sh010.ma"
    command = "nuke -x -F 1-10 /mnt/shows/abc/comp/sh010_v003.nk"
    assert windows.in_text(command, "to_client") == (
        r"nuke -x -F 1-10 P:\shows\abc\comp\sh010_v003.nk"
    )
    # back: the render's path in the server's (Linux) form, whatever its case
    assert windows.to_server(r"p:\SHOWS\abc\render\sh010.0001.exr") == (
        "/mnt/shows/abc/render/sh010.0001.exr"
    )


def test_unc_paths_both_slash_directions(linux):
    assert linux.to_client(r"\\fs01\shows\abc\tex\wood.tx") == "/mnt/shows/abc/tex/wood.tx"
    assert linux.to_client("//FS01/Shows/abc/tex/wood.tx") == "/mnt/shows/abc/tex/wood.tx"
    unc = PathMap.parse(r"\\fs01\shows=/net/shows", "linux")
    assert unc.to_server("/net/shows/abc") == r"\\fs01\shows\abc"
    assert unc.in_text(r"kick -i \\fs01\shows\abc\a.ass", "to_client") == (
        "kick -i /net/shows/abc/a.ass"
    )
    # a UNC client prefix on a Windows render
    win = PathMap.parse("/mnt/shows=//fs01/shows", "windows")
    assert win.to_client("/mnt/shows/abc/a.ass") == r"\\fs01\shows\abc\a.ass"


def test_macos_volumes():
    mac = PathMap.parse("P:/shows=/Volumes/shows;/mnt/shows=/Volumes/shows", "macos")
    assert mac.to_client(r"P:\shows\abc\sh010.hip") == "/Volumes/shows/abc/sh010.hip"
    assert mac.to_client("/mnt/shows/abc/sh010.hip") == "/Volumes/shows/abc/sh010.hip"
    # macOS client prefixes compare case-insensitively; the first rule listed decides the way back
    assert mac.to_server("/volumes/Shows/abc/sh010.hip") == r"P:\shows\abc\sh010.hip"


def test_a_macos_job_on_a_linux_render(linux):
    assert linux.to_client("/Volumes/shows/abc/sh010.hip") == "/mnt/shows/abc/sh010.hip"
    assert linux.to_client("/volumes/SHOWS/abc") == "/mnt/shows/abc"  # /Volumes: macOS rules


def test_windows_prefixes_compare_case_insensitively(linux):
    assert linux.to_client(r"p:\Shows\abc\sh010.ma") == "/mnt/shows/abc/sh010.ma"
    assert linux.in_text(r"render p:\Shows\abc\sh010.ma", "to_client") == (
        "render /mnt/shows/abc/sh010.ma"
    )


def test_linux_prefixes_compare_case_sensitively():
    to_win = PathMap.parse("/mnt/shows=P:/shows", "windows")
    assert to_win.to_client("/mnt/Shows/abc") == "/mnt/Shows/abc"
    linux = PathMap.parse("P:/shows=/mnt/shows", "linux")
    assert linux.to_server("/mnt/Shows/abc") == "/mnt/Shows/abc"
    assert linux.to_server("/mnt/shows/abc") == r"P:\shows\abc"


def test_no_match_inside_a_longer_name(linux):
    assert linux.to_client(r"P:\showsX\abc") == r"P:\showsX\abc"
    assert linux.to_client("/Volumes/shows_old/abc") == "/Volumes/shows_old/abc"
    proj = PathMap.parse("/proj=P:/proj", "windows")
    assert proj.to_client("/projects/a") == "/projects/a"
    assert proj.to_client("/proj") == r"P:\proj"
    text = "cp /projects/a /proj/a /xproj/b x/proj/c"
    assert proj.in_text(text, "to_client") == r"cp /projects/a P:\proj\a /xproj/b x/proj/c"


def test_longest_prefix_wins():
    pm = PathMap.parse("P:/shows=/mnt/shows;P:/shows/abc/cache=/fast/abc_cache", "linux")
    assert pm.to_client(r"P:\shows\abc\cache\fx.bgeo") == "/fast/abc_cache/fx.bgeo"
    assert pm.to_client(r"P:\shows\abc\cachex\fx.bgeo") == "/mnt/shows/abc/cachex/fx.bgeo"
    assert pm.to_server("/fast/abc_cache/fx.bgeo") == r"P:\shows\abc\cache\fx.bgeo"
    assert pm.in_text(r"a P:\shows\abc\cache\x b P:\shows\y", "to_client") == (
        "a /fast/abc_cache/x b /mnt/shows/y"
    )


@pytest.mark.parametrize(
    ("rule", "client_os", "path", "normalised"),
    [
        ("P:/shows=/mnt/shows", "linux", r"P:\shows\abc\sh010.ma", r"P:\shows\abc\sh010.ma"),
        ("P:/shows=/mnt/shows", "linux", "p:/Shows/abc/sh010.ma", r"P:\shows\abc\sh010.ma"),
        ("P:/shows=/mnt/shows", "linux", r"P:\\shows\\abc", r"P:\shows\abc"),
        ("P:/shows=/mnt/shows", "linux", "P:/shows\\abc/", "P:\\shows\\abc\\"),
        ("P:/shows=/mnt/shows", "linux", "P:/shows", r"P:\shows"),
        ("//fs01/shows=/mnt/shows", "linux", "//fs01/shows/abc", r"\\fs01\shows\abc"),
        ("/Volumes/shows=/mnt/shows", "linux", "/Volumes/shows//abc", "/Volumes/shows/abc"),
        ("/mnt/shows=P:/shows", "windows", "/mnt/shows/abc/a.exr", "/mnt/shows/abc/a.exr"),
        ("/mnt/shows=/Volumes/shows", "macos", "/mnt/shows/abc", "/mnt/shows/abc"),
    ],
)
def test_round_trip_gives_the_normalised_path(rule, client_os, path, normalised):
    pm = PathMap.parse(rule, client_os)
    assert pm.to_client(path) != path
    assert pm.to_server(pm.to_client(path)) == normalised


def test_whole_drive_maps():
    pm = PathMap.parse("X:/=/mnt/x", "linux")
    assert pm.rules == [("X:", "/mnt/x")]
    assert pm.to_client(r"x:\a\b") == "/mnt/x/a/b"
    assert pm.to_client("X:") == "/mnt/x"
    assert pm.to_server("/mnt/x") == "X:\\"  # not "X:", the current directory of drive X
    assert pm.to_server("/mnt/x/a") == r"X:\a"


def test_unmapped_and_relative_paths_are_unchanged(linux):
    for path in ("", "scenes/sh010.ma", r"Q:\other\x", "/home/me/x", "shows"):
        assert linux.to_client(path) == path
        assert linux.to_server(path) == path


# -- paths inside text ----------------------------------------------------------------------------


def test_in_text_quotes_and_options():
    pm = PathMap.parse("P:/x=/mnt/x;P:/shows=/mnt/shows", "linux")
    text = r"""render --out=P:\x\out.exr -i 'P:\x\a.ma' "P:\shows\My Show\sh 010.ma" P:\x"""
    assert pm.in_text(text, "to_client") == (
        """render --out=/mnt/x/out.exr -i '/mnt/x/a.ma' "/mnt/shows/My Show/sh 010.ma" /mnt/x"""
    )


def test_in_text_environment_values():
    pm = PathMap.parse("P:/pipe=/mnt/pipe;/opt/pipe=/mnt/pipe", "linux")
    assert pm.in_text(r"P:\pipe\maya\scripts;P:\pipe\common", "to_client") == (
        "/mnt/pipe/maya/scripts;/mnt/pipe/common"  # list separators stay as they are
    )
    assert pm.in_text("/usr/lib/python3:/opt/pipe/python", "to_client") == (
        "/usr/lib/python3:/mnt/pipe/python"
    )
    assert pm.in_text(r"P:\pipe", "to_client") == "/mnt/pipe"


def test_in_text_only_rewrites_where_a_path_starts():
    pm = PathMap.parse("/proj=P:/proj;//srv/share=S:/", "windows")
    text = "C:/proj/a x/proj/b http://srv/share/page /projx -I/proj/include >/proj/log"
    # C:/proj: a drive's path; x/proj: relative; a URL; a longer name; glued to an option;
    # a redirection is a path start
    assert pm.in_text(text, "to_client") == (
        r"C:/proj/a x/proj/b http://srv/share/page /projx -I/proj/include >P:\proj\log"
    )


def test_in_text_both_directions_and_redirections(linux):
    text = r"echo done > P:\shows\abc\done.txt"
    mapped = linux.in_text(text, "to_client")
    assert mapped == "echo done > /mnt/shows/abc/done.txt"
    assert linux.in_text(mapped, "to_server") == text


def test_in_text_trailing_backslash_before_a_closing_quote_is_doubled():
    pm = PathMap.parse("/mnt/shows=P:/shows", "windows")
    assert pm.in_text('cd "/mnt/shows/abc/" && dir', "to_client") == r'cd "P:\shows\abc\\" && dir'
    assert pm.in_text("cd '/mnt/shows/abc/'", "to_client") == "cd 'P:\\shows\\abc\\'"


def test_in_text_without_any_mapped_prefix_is_the_same_text(linux):
    text = "blender -b /home/me/a.blend -o //render/ -f 1"
    assert linux.in_text(text, "to_client") is text


def test_unknown_direction(linux):
    with pytest.raises(ValueError, match="direction"):
        linux.in_text("x", "sideways")


# -- parsing and validation -----------------------------------------------------------------------


def test_json_and_text_forms_are_the_same():
    rules = [
        {"server": "X:/proj", "client": "/mnt/proj"},
        {"server": "//srv/share", "client": "/net/share"},
    ]
    from_text = PathMap.parse("X:/proj=/mnt/proj; //srv/share=/net/share;", "linux")
    assert PathMap.parse(rules, "linux") == from_text
    assert PathMap.parse(" " + json.dumps(rules), "linux") == from_text  # JSON text
    assert from_text.rules == [(r"X:\proj", "/mnt/proj"), (r"\\srv\share", "/net/share")]
    assert PathMap([("X:/proj/", "/mnt//proj/")], "linux").rules == [(r"X:\proj", "/mnt/proj")]


@pytest.mark.parametrize(
    ("spec", "client_os", "field", "message"),
    [
        ("", "linux", "path_map", "has no rules"),
        ("X:/proj", "linux", "path_map[0]", "SERVER=CLIENT"),
        ("X:/a=/b;X:/c=/d=/e", "linux", "path_map[1]", "SERVER=CLIENT"),
        ("X:/proj=C:/proj", "linux", "path_map[0].client", "must start with '/'"),
        ("/mnt/proj=/mnt/p", "windows", "path_map[0].client", "drive"),
        ("proj=/mnt/proj", "linux", "path_map[0].server", "absolute path"),
        ("/=/mnt/root", "linux", "path_map[0].server", "root"),
        ("//srv=/net/srv", "linux", "path_map[0].server", "server and a share"),
        ("/a/../b=/mnt/b", "linux", "path_map[0].server", "'..'"),
        ("X:/a=/mnt/a;x:\\A\\=/mnt/b", "linux", "path_map[1].server", "mapped twice"),
        ("[1]", "linux", "path_map[0]", "must be an object"),
        ("[{", "linux", "path_map", "invalid JSON"),
        ('[{"server": "X:/a"}]', "linux", "path_map[0].client", "is required"),
        ('[{"server": "X:/a", "client": 3}]', "linux", "path_map[0].client", "string"),
        ('[{"server": "X:/a", "client": "/a", "os": 1}]', "linux", "path_map[0].os", "unknown"),
        ("[]", "linux", "path_map", "has no rules"),
    ],
)
def test_invalid_maps_name_the_field(spec, client_os, field, message):
    with pytest.raises(SpecError, match=message) as caught:
        PathMap.parse(spec, client_os)
    assert caught.value.field == field


def test_parse_rejects_other_types_and_os():
    with pytest.raises(SpecError) as caught:
        PathMap.parse({"server": "X:/"}, "linux")  # type: ignore[arg-type]
    assert caught.value.field == "path_map"
    with pytest.raises(ValueError, match="client_os"):
        PathMap([("X:/a", "/a")], "beos")  # type: ignore[arg-type]


def test_several_servers_may_share_a_client_prefix(linux):
    # each submitting OS maps to the same Linux mount; the way back uses the first rule
    assert linux.to_server("/mnt/shows/abc") == r"P:\shows\abc"
    assert PathMap([], "linux").to_client(r"P:\x") == r"P:\x"
