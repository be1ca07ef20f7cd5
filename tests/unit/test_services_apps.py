"""The application services: their exact batch command lines on Linux and Windows, their
options, and their render side (script and frame-count tokens, program and path maps)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from app.core.frames import fill_numbers
from app.core.path_maps import PathMap
from app.services.base import Service, TaskInfo, split
from app.services.houdini import FRAME_COUNT_TOKEN, SCRIPTS_DIR, SCRIPTS_TOKEN
from app.services.registry import SERVICES, get_service

LIN = "/projects/shot 010/"  # a Linux path with a space: single-quoted by shlex
WIN = "C:\\Projects\\Shot 010\\"  # a Windows path with a space: double-quoted
LQ = "'/projects/shot 010/"  # how they start once quoted
WQ = '"C:\\Projects\\Shot 010\\'
SCRIPT = Path(SCRIPTS_DIR) / "houdini_render.py"

APP_SERVICES = {
    "maya": "maya",
    "maya_arnold": "maya_arnold",
    "maya_redshift": "maya_redshift",
    "maya_vray": "maya_vray",
    "maya_prman": "maya_prman",
    "nuke": "nuke",
    "hbatch": "hbatch",
    "hbatch_mantra": "hbatch_mantra",
    "hbatch_karma": "hbatch_karma",
    "hbatch_redshift": "hbatch_redshift",
    "hbatch_arnold": "hbatch_arnold",
    "karma": "karma",
    "mantra": "mantra",
    "arnold": "arnold",
    "vray": "vray",
    "redshift": "redshift",
    "prman": "prman",
    "afterfx": "afterfx",
    "c4d": "c4d",
    "max": "max",
    "natron": "natron",
    "fusion": "fusion",
    "xsi": "xsi",
    "xsi_arnold": "xsi_arnold",
    "xsi_redshift": "xsi_redshift",
    "ffmpeg": "ffmpeg",
    "generic": "generic",
}

# (service, scene file name, output per platform or None, options, linux line, windows line);
# a line None: the service does not run on that platform (ValueError).
CASES = [
    (
        "maya",
        "scene.mb",
        None,
        {},
        f"Render -r file -s '@#@' -e '@#@' -b 1 {LQ}scene.mb'",
        f'Render.exe -r file -s @#@ -e @#@ -b 1 {WQ}scene.mb"',
    ),
    (
        "maya",
        "scene.mb",
        ("/renders/shot", "R:\\renders\\shot"),
        {
            "renderer": "arnold",
            "step": "2",
            "layer": "beauty",
            "camera": "shotCam",
            "image": "<RenderLayer>/f",
        },
        "Render -r arnold -s '@#@' -e '@#@' -b 2 -rl beauty -cam shotCam -rd /renders/shot "
        f"-im '<RenderLayer>/f' {LQ}scene.mb'",
        "Render.exe -r arnold -s @#@ -e @#@ -b 2 -rl beauty -cam shotCam -rd R:\\renders\\shot "
        f'-im "<RenderLayer>/f" {WQ}scene.mb"',
    ),
    (
        "maya",
        "scene.mb",
        None,
        {"project": "/projects/shot 010"},
        f"Render -r file -s '@#@' -e '@#@' -b 1 -proj '/projects/shot 010' {LQ}scene.mb'",
        f'Render.exe -r file -s @#@ -e @#@ -b 1 -proj "/projects/shot 010" {WQ}scene.mb"',
    ),
    (
        "maya_arnold",
        "scene.mb",
        None,
        {},
        f"Render -r arnold -ai:lve 2 -s '@#@' -e '@#@' -b 1 {LQ}scene.mb'",
        f'Render.exe -r arnold -ai:lve 2 -s @#@ -e @#@ -b 1 {WQ}scene.mb"',
    ),
    (
        "maya_arnold",
        "scene.mb",
        None,
        {"verbosity": "0", "step": "5"},
        f"Render -r arnold -ai:lve 0 -s '@#@' -e '@#@' -b 5 {LQ}scene.mb'",
        f'Render.exe -r arnold -ai:lve 0 -s @#@ -e @#@ -b 5 {WQ}scene.mb"',
    ),
    (
        "maya_redshift",
        "scene.ma",
        None,
        {"layer": "fg"},
        f"Render -r redshift -s '@#@' -e '@#@' -b 1 -rl fg {LQ}scene.ma'",
        f'Render.exe -r redshift -s @#@ -e @#@ -b 1 -rl fg {WQ}scene.ma"',
    ),
    (
        "maya_vray",
        "scene.mb",
        None,
        {},
        f"Render -r vray -s '@#@' -e '@#@' -b 1 {LQ}scene.mb'",
        f'Render.exe -r vray -s @#@ -e @#@ -b 1 {WQ}scene.mb"',
    ),
    (
        "maya_prman",
        "scene.mb",
        None,
        {},
        f"Render -r renderman -s '@#@' -e '@#@' -b 1 {LQ}scene.mb'",
        f'Render.exe -r renderman -s @#@ -e @#@ -b 1 {WQ}scene.mb"',
    ),
    (
        "nuke",
        "comp.nk",
        None,
        {"write": "Write1, Write2", "threads": "8"},
        f"nuke -m 8 -F '@#@-@#@' -X Write1 -X Write2 -x {LQ}comp.nk'",
        f'Nuke.exe -m 8 -F @#@-@#@ -X Write1 -X Write2 -x {WQ}comp.nk"',
    ),
    (
        "nuke",
        "comp.nk",
        None,
        {"interactive_licence": "yes", "gpu": "true", "step": "2"},
        f"nuke -i --gpu -F '@#@-@#@x2' -x {LQ}comp.nk'",
        f'Nuke.exe -i --gpu -F @#@-@#@x2 -x {WQ}comp.nk"',
    ),
    (
        "nuke",
        "comp.nk",
        None,
        {"views": "left, right", "write": "Write1"},
        f"nuke --view left,right -F '@#@-@#@' -X Write1 -x {LQ}comp.nk'",
        f'Nuke.exe --view "left,right" -F @#@-@#@ -X Write1 -x {WQ}comp.nk"',
    ),
    (
        "nuke",
        "comp.nk",
        None,
        {"gpu": "no", "interactive_licence": ""},
        f"nuke -F '@#@-@#@' -x {LQ}comp.nk'",
        f'Nuke.exe -F @#@-@#@ -x {WQ}comp.nk"',
    ),
    (
        "hbatch",
        "scene.hip",
        None,
        {"rop": "/out/mantra1"},
        f"hython @CORRAL_SCRIPTS@/houdini_render.py --hip {LQ}scene.hip' --rop /out/mantra1 "
        "--start '@#@' --end '@#@' --step 1",
        f'hython.exe @CORRAL_SCRIPTS@/houdini_render.py --hip {WQ}scene.hip" --rop /out/mantra1 '
        "--start @#@ --end @#@ --step 1",
    ),
    (
        "hbatch_mantra",
        "scene.hip",
        ("/renders/f.$F4.exr", "R:\\renders\\f.$F4.exr"),
        {"rop": "/out/mantra1", "step": "3"},
        f"hython @CORRAL_SCRIPTS@/houdini_render.py --hip {LQ}scene.hip' --rop /out/mantra1 "
        "--start '@#@' --end '@#@' --step 3 --output '/renders/f.$F4.exr'",
        f'hython.exe @CORRAL_SCRIPTS@/houdini_render.py --hip {WQ}scene.hip" --rop /out/mantra1 '
        "--start @#@ --end @#@ --step 3 --output R:\\renders\\f.$F4.exr",
    ),
    (
        "hbatch_karma",
        "scene.hip",
        None,
        {"rop": "/stage/usdrender_rop1"},
        f"hython @CORRAL_SCRIPTS@/houdini_render.py --hip {LQ}scene.hip' "
        "--rop /stage/usdrender_rop1 --start '@#@' --end '@#@' --step 1",
        f'hython.exe @CORRAL_SCRIPTS@/houdini_render.py --hip {WQ}scene.hip" '
        "--rop /stage/usdrender_rop1 --start @#@ --end @#@ --step 1",
    ),
    (
        "hbatch_redshift",
        "scene.hip",
        None,
        {"rop": "/out/Redshift_ROP1"},
        f"hython @CORRAL_SCRIPTS@/houdini_render.py --hip {LQ}scene.hip' "
        "--rop /out/Redshift_ROP1 --start '@#@' --end '@#@' --step 1",
        f'hython.exe @CORRAL_SCRIPTS@/houdini_render.py --hip {WQ}scene.hip" '
        "--rop /out/Redshift_ROP1 --start @#@ --end @#@ --step 1",
    ),
    (
        "hbatch_arnold",
        "scene.hip",
        None,
        {"rop": "/out/arnold1"},
        f"hython @CORRAL_SCRIPTS@/houdini_render.py --hip {LQ}scene.hip' "
        "--rop /out/arnold1 --start '@#@' --end '@#@' --step 1",
        f'hython.exe @CORRAL_SCRIPTS@/houdini_render.py --hip {WQ}scene.hip" '
        "--rop /out/arnold1 --start @#@ --end @#@ --step 1",
    ),
    (
        "karma",
        "scene.usd",
        None,
        {},
        f"husk --verbose a3 -R BRAY_HdKarma -f '@#@' -n @CORRAL_FRAME_COUNT@ -i 1 {LQ}scene.usd'",
        f'husk.exe --verbose a3 -R BRAY_HdKarma -f @#@ -n @CORRAL_FRAME_COUNT@ -i 1 {WQ}scene.usd"',
    ),
    (
        "karma",
        "scene.usda",
        ("/renders/f.$F4.exr", "R:\\renders\\f.$F4.exr"),
        {
            "xpu": "yes",
            "step": "2",
            "camera": "/cams/main",
            "settings": "/Render/rs",
            "verbosity": "a9",
        },
        "husk --verbose a9 -R BRAY_HdKarmaXPU -f '@#@' -n @CORRAL_FRAME_COUNT@ -i 2 "
        f"-c /cams/main -s /Render/rs -o '/renders/f.$F4.exr' {LQ}scene.usda'",
        "husk.exe --verbose a9 -R BRAY_HdKarmaXPU -f @#@ -n @CORRAL_FRAME_COUNT@ -i 2 "
        f'-c /cams/main -s /Render/rs -o R:\\renders\\f.$F4.exr {WQ}scene.usda"',
    ),
    (
        "mantra",
        "ifd/shot.####.ifd",
        None,
        {},
        f"mantra -V 2a -f {LQ}ifd/shot.@####@.ifd'",
        f'mantra.exe -V 2a -f {WQ}ifd\\shot.@####@.ifd"',
    ),
    (
        "mantra",
        "ifd/shot.@##@.ifd",
        ("/renders/f.####.exr", "R:\\renders\\f.####.exr"),
        {"threads": "4"},
        f"mantra -V 2a -j 4 -f {LQ}ifd/shot.@##@.ifd' '/renders/f.@####@.exr'",
        f'mantra.exe -V 2a -j 4 -f {WQ}ifd\\shot.@##@.ifd" R:\\renders\\f.@####@.exr',
    ),
    (
        "arnold",
        "ass/shot.####.ass",
        None,
        {},
        f"kick -i {LQ}ass/shot.@####@.ass' -dw -dp -nstdin -v 2",
        f'kick.exe -i {WQ}ass\\shot.@####@.ass" -dw -dp -nstdin -v 2',
    ),
    (
        "arnold",
        "shot.ass",
        ("/renders/f.exr", "R:\\renders\\f.exr"),
        {"verbosity": "4", "threads": "16"},
        f"kick -i {LQ}shot.ass' -dw -dp -nstdin -v 4 -t 16 -o /renders/f.exr",
        f'kick.exe -i {WQ}shot.ass" -dw -dp -nstdin -v 4 -t 16 -o R:\\renders\\f.exr',
    ),
    (
        "vray",
        "scene.vrscene",
        None,
        {},
        f"vray '-sceneFile={LIN}scene.vrscene' '-frames=@#@-@#@' -display=0 -autoClose=1 "
        "-progressUseColor=0 -progressUseCR=0",
        f'vray.exe "-sceneFile={WIN}scene.vrscene" "-frames=@#@-@#@" "-display=0" '
        '"-autoClose=1" "-progressUseColor=0" "-progressUseCR=0"',
    ),
    (
        "vray",
        "scene.vrscene",
        ("/renders/f.exr", "R:\\renders\\f.exr"),
        {"threads": "12"},
        f"vray '-sceneFile={LIN}scene.vrscene' '-frames=@#@-@#@' -display=0 -autoClose=1 "
        "-progressUseColor=0 -progressUseCR=0 -imgFile=/renders/f.exr -numThreads=12",
        f'vray.exe "-sceneFile={WIN}scene.vrscene" "-frames=@#@-@#@" "-display=0" '
        '"-autoClose=1" "-progressUseColor=0" "-progressUseCR=0" "-imgFile=R:\\renders\\f.exr" '
        '"-numThreads=12"',
    ),
    (
        "redshift",
        "rs/shot.####.rs",
        ("/renders", "R:\\renders"),
        {"gpus": "0, 1"},
        f"redshiftCmdLine {LQ}rs/shot.@####@.rs' -oip /renders -gpu 0 -gpu 1",
        f'redshiftCmdLine.exe {WQ}rs\\shot.@####@.rs" -oip R:\\renders -gpu 0 -gpu 1',
    ),
    (
        "prman",
        "rib/shot.####.rib",
        None,
        {"threads": "8"},
        f"prman -Progress -t:8 {LQ}rib/shot.@####@.rib'",
        f'prman.exe -Progress -t:8 {WQ}rib\\shot.@####@.rib"',
    ),
    (
        "afterfx",
        "proj.aep",
        None,
        {"comp": "Comp 1"},
        None,
        f'aerender.exe -project {WQ}proj.aep" -comp "Comp 1" -s @#@ -e @#@ -v ERRORS_AND_PROGRESS',
    ),
    (
        "afterfx",
        "proj.aep",
        (None, "R:\\renders\\[compName]_[#####].exr"),
        {
            "rqindex": "2",
            "step": "2",
            "render_settings": "Best Settings",
            "output_module": "Lossless",
            "multiprocessing": "yes",
        },
        None,
        f'aerender.exe -project {WQ}proj.aep" -rqindex 2 -s @#@ -e @#@ -i 2 '
        '-output R:\\renders\\[compName]_[#####].exr -RStemplate "Best Settings" '
        "-OMtemplate Lossless -mp -v ERRORS_AND_PROGRESS",
    ),
    (
        "c4d",
        "scene.c4d",
        None,
        {},
        f"Commandline -nogui -render {LQ}scene.c4d' -frame '@#@' '@#@'",
        f'Commandline.exe -nogui -render {WQ}scene.c4d" -frame @#@ @#@',
    ),
    (
        "c4d",
        "scene.c4d",
        ("/renders/f_$frame", "R:\\renders\\f_$frame"),
        {"step": "2", "take": "Main Take", "threads": "8"},
        f"Commandline -nogui -render {LQ}scene.c4d' -frame '@#@' '@#@' 2 "
        "-oimage '/renders/f_$frame' -take 'Main Take' -threads 8",
        f'Commandline.exe -nogui -render {WQ}scene.c4d" -frame @#@ @#@ 2 '
        '-oimage R:\\renders\\f_$frame -take "Main Take" -threads 8',
    ),
    ("max", "scene.max", None, {}, None, f'3dsmaxcmd.exe -start:@#@ -end:@#@ {WQ}scene.max"'),
    (
        "max",
        "scene.max",
        (None, "R:\\renders\\shot 1\\f.exr"),
        {"step": "2", "camera": "Camera001", "verbosity": "5"},
        None,
        '3dsmaxcmd.exe -start:@#@ -end:@#@ -nthFrame:2 "-outputName:R:\\renders\\shot 1\\f.exr" '
        f'-camera:Camera001 -v:5 {WQ}scene.max"',
    ),
    (
        "natron",
        "project.ntp",
        None,
        {"write": "Write1,Write2"},
        f"NatronRenderer -w Write1 '@#@-@#@' -w Write2 '@#@-@#@' {LQ}project.ntp'",
        f'NatronRenderer.exe -w Write1 @#@-@#@ -w Write2 @#@-@#@ {WQ}project.ntp"',
    ),
    (
        "natron",
        "project.ntp",
        ("/renders/f###.exr", "R:\\renders\\f###.exr"),
        {"write": "Write1"},
        f"NatronRenderer -w Write1 '/renders/f###.exr' '@#@-@#@' {LQ}project.ntp'",
        f'NatronRenderer.exe -w Write1 R:\\renders\\f###.exr @#@-@#@ {WQ}project.ntp"',
    ),
    (
        "fusion",
        "shot.comp",
        None,
        {},
        f"FusionRenderConsole {LQ}shot.comp' /render /start '@#@' /end '@#@' /step 1 "
        "/verbose /quit",
        f'FusionRenderConsole.exe {WQ}shot.comp" /render /start @#@ /end @#@ /step 1 '
        "/verbose /quit",
    ),
    (
        "xsi",
        "scene.scn",
        None,
        {},
        f"xsibatch -render {LQ}scene.scn' -frames '@#@,@#@,1'",
        f'xsibatch.bat -render {WQ}scene.scn" -frames "@#@,@#@,1"',
    ),
    (
        "xsi_arnold",
        "scene.scn",
        ("/renders", "R:\\renders"),
        {"step": "2", "pass": "beauty"},
        f"xsibatch -render {LQ}scene.scn' -frames '@#@,@#@,2' -pass beauty -output_dir /renders",
        f'xsibatch.bat -render {WQ}scene.scn" -frames "@#@,@#@,2" -pass beauty '
        "-output_dir R:\\renders",
    ),
    (
        "xsi_redshift",
        "scene.scn",
        None,
        {},
        f"xsibatch -render {LQ}scene.scn' -frames '@#@,@#@,1'",
        f'xsibatch.bat -render {WQ}scene.scn" -frames "@#@,@#@,1"',
    ),
    (
        "ffmpeg",
        "f_####.png",
        ("/projects/shot 010/movie.mp4", "C:\\Projects\\Shot 010\\m.mp4"),
        {},
        "ffmpeg -y -hide_banner -stats -framerate 24 -start_number '@#@' "
        f"-i {LQ}f_%04d.png' -c:v libx264 -pix_fmt yuv420p {LQ}movie.mp4'",
        "ffmpeg.exe -y -hide_banner -stats -framerate 24 -start_number @#@ "
        f'-i {WQ}f_%04d.png" -c:v libx264 -pix_fmt yuv420p {WQ}m.mp4"',
    ),
    (
        "ffmpeg",
        "100%_f.######.exr",
        ("/renders/m.mov", "R:\\renders\\m.mov"),
        {
            "fps": "23.976",
            "codec": "prores_ks",
            "pix_fmt": "yuv444p10le",
            "crf": "18",
            "start_number": "1001",
        },
        "ffmpeg -y -hide_banner -stats -framerate 23.976 -start_number 1001 "
        f"-i {LQ}100%%_f.%06d.exr' -c:v prores_ks -pix_fmt yuv444p10le -crf 18 /renders/m.mov",
        "ffmpeg.exe -y -hide_banner -stats -framerate 23.976 -start_number 1001 "
        f'-i {WQ}100%%_f.%06d.exr" -c:v prores_ks -pix_fmt yuv444p10le -crf 18 R:\\renders\\m.mov',
    ),
    ("generic", "", None, {"command": "echo @#@ @#@"}, "echo @#@ @#@", "echo @#@ @#@"),
]


def _scene(name: str, platform: str) -> str:
    if not name:
        return ""
    return LIN + name if platform == "linux" else WIN + name.replace("/", "\\")


@pytest.mark.parametrize(
    "service, scene, output, options, linux, windows",
    CASES,
    ids=[f"{case[0]}-{i}" for i, case in enumerate(CASES)],
)
def test_batch_command_exact(service, scene, output, options, linux, windows):
    cls = get_service(service)
    assert cls.name == service
    for platform, expected in (("linux", linux), ("windows", windows)):
        out = (output[0] if platform == "linux" else output[1]) if output else ""
        if expected is None:
            with pytest.raises(ValueError, match="runs only on"):
                cls.batch_command(_scene(scene, platform), out or "", platform, **options)
            continue
        command = cls.batch_command(_scene(scene, platform), out, platform, **options)
        assert command == expected, platform
        # the line splits back into arguments, with the frame tokens filled as the server does
        filled = split(fill_numbers(command, [1001, 1010]), platform)
        assert "@#@" not in " ".join(filled)
        assert filled[0] == cls.program(platform) or service == "generic"


def test_every_service_is_registered_with_its_parser():
    names = {name for name, _cls, _where in SERVICES.items()}
    assert set(APP_SERVICES) <= names
    for name, parser in APP_SERVICES.items():
        cls = get_service(name)
        assert cls.name == name and cls.parser == parser
        assert cls.description
        assert all(meaning for meaning in cls.options.values())
        instance = cls(TaskInfo(command="x"))
        assert instance.parser_name() == parser
        assert cls(TaskInfo(command="x", parser="generic")).parser_name() == "generic"


def test_programs_per_platform():
    assert get_service("maya").programs == {
        "linux": "Render",
        "windows": "Render.exe",
        "macos": "Render",
    }
    assert get_service("max").programs == {"windows": "3dsmaxcmd.exe"}
    assert set(get_service("afterfx").programs) == {"windows", "macos"}
    assert set(get_service("xsi").programs) == {"linux", "windows"}
    for name in set(APP_SERVICES) - {
        "generic",
        "max",
        "afterfx",
        "xsi",
        "xsi_arnold",
        "xsi_redshift",
    }:
        programs = get_service(name).programs
        assert set(programs) == {"linux", "windows", "macos"}, name
        assert programs["windows"].endswith(".exe"), name


def test_darwin_commands():
    assert (
        get_service("afterfx").batch_command("/Users/me/proj.aep", "", "darwin", comp="Comp 1")
        == "aerender -project /Users/me/proj.aep -comp 'Comp 1' -s '@#@' -e '@#@' "
        "-v ERRORS_AND_PROGRESS"
    )
    assert get_service("nuke").batch_command("/Users/me/a.nk", platform="darwin") == (
        "nuke -F '@#@-@#@' -x /Users/me/a.nk"
    )
    with pytest.raises(ValueError, match="Windows and Linux"):
        get_service("xsi").batch_command("/Users/me/a.scn", platform="darwin")
    with pytest.raises(ValueError, match="Windows"):
        get_service("max").batch_command("/Users/me/a.max", platform="darwin")


# A working call per service: (scene, output, options); each test below breaks one thing.
GOOD = {
    "maya": ("s.mb", "", {}),
    "maya_arnold": ("s.mb", "", {}),
    "maya_redshift": ("s.mb", "", {}),
    "maya_vray": ("s.mb", "", {}),
    "maya_prman": ("s.mb", "", {}),
    "nuke": ("s.nk", "", {}),
    "hbatch": ("s.hip", "", {"rop": "/out/r"}),
    "hbatch_mantra": ("s.hip", "", {"rop": "/out/r"}),
    "hbatch_karma": ("s.hip", "", {"rop": "/out/r"}),
    "hbatch_redshift": ("s.hip", "", {"rop": "/out/r"}),
    "hbatch_arnold": ("s.hip", "", {"rop": "/out/r"}),
    "karma": ("s.usd", "", {}),
    "mantra": ("s.####.ifd", "", {}),
    "arnold": ("s.####.ass", "", {}),
    "vray": ("s.vrscene", "", {}),
    "redshift": ("s.####.rs", "", {}),
    "prman": ("s.####.rib", "", {}),
    "afterfx": ("p.aep", "", {"comp": "c"}),
    "c4d": ("s.c4d", "", {}),
    "max": ("s.max", "", {}),
    "natron": ("p.ntp", "", {"write": "Write1"}),
    "fusion": ("c.comp", "", {}),
    "xsi": ("s.scn", "", {}),
    "xsi_arnold": ("s.scn", "", {}),
    "xsi_redshift": ("s.scn", "", {}),
    "ffmpeg": ("f.####.png", "m.mp4", {}),
    "generic": ("", "", {"command": "true"}),
}


@pytest.mark.parametrize("name", sorted(GOOD))
def test_unknown_option_and_platform(name):
    cls = get_service(name)
    scene, output, options = GOOD[name]
    assert cls.batch_command(scene, output, "windows", **options)
    with pytest.raises(ValueError, match="unknown option 'frobnicate'"):
        cls.batch_command(scene, output, "windows", frobnicate="1", **options)
    with pytest.raises(ValueError, match="platform"):
        cls.batch_command(scene, output, "amiga", **options)


@pytest.mark.parametrize("name", sorted(set(GOOD) - {"generic"}))
def test_missing_scene(name):
    _scene_name, output, options = GOOD[name]
    with pytest.raises(ValueError, match="required"):
        get_service(name).batch_command("", output, "windows", **options)


@pytest.mark.parametrize(
    "name, missing",
    [
        ("hbatch", "rop"),
        ("hbatch_mantra", "rop"),
        ("afterfx", "comp"),
        ("natron", "write"),
        ("generic", "command"),
    ],
)
def test_missing_required_option(name, missing):
    scene, output, options = GOOD[name]
    options = {k: v for k, v in options.items() if k != missing}
    with pytest.raises(ValueError, match=missing):
        get_service(name).batch_command(scene, output, "windows", **options)


@pytest.mark.parametrize(
    "name, option, value",
    [
        ("maya", "renderer", "mentalray"),
        ("maya", "step", "two"),
        ("maya", "step", "0"),
        ("maya_arnold", "verbosity", "4"),
        ("nuke", "threads", "-1"),
        ("nuke", "gpu", "maybe"),
        ("hbatch", "step", "1.5"),
        ("karma", "xpu", "sometimes"),
        ("arnold", "verbosity", "7"),
        ("redshift", "gpus", "0,first"),
        ("afterfx", "step", "x"),
        ("afterfx", "multiprocessing", "2"),
        ("c4d", "threads", "0"),
        ("max", "verbosity", "6"),
        ("fusion", "step", "0"),
        ("xsi", "step", "-2"),
        ("ffmpeg", "fps", "fast"),
        ("ffmpeg", "crf", "high"),
        ("ffmpeg", "codec", "x264; rm -rf /"),
        ("ffmpeg", "start_number", "-5"),
    ],
)
def test_bad_option_values(name, option, value):
    scene, output, options = GOOD[name]
    with pytest.raises(ValueError, match=option):
        get_service(name).batch_command(scene, output, "windows", **{**options, option: value})


def test_outputs_a_service_cannot_take():
    for name, scene in (("nuke", "a.nk"), ("prman", "a.rib"), ("fusion", "a.comp")):
        with pytest.raises(ValueError, match="output"):
            get_service(name).batch_command(scene, "/out/f.exr")
    with pytest.raises(ValueError, match="single Write"):
        get_service("natron").batch_command("p.ntp", "/o/f.exr", write="W1,W2")
    with pytest.raises(ValueError, match="output movie"):
        get_service("ffmpeg").batch_command("/o/f_####.png")
    with pytest.raises(ValueError, match="one run of '#'"):
        get_service("ffmpeg").batch_command("/o/movie_frames.png", "/o/m.mp4")
    with pytest.raises(ValueError, match="one run of '#'"):
        get_service("ffmpeg").batch_command("/o/##/f_####.png", "/o/m.mp4")
    # a name already in ffmpeg's own pattern is kept
    assert " -i /o/f_%05d.png " in get_service("ffmpeg").batch_command("/o/f_%05d.png", "/o/m.mp4")


# -- render side ---------------------------------------------------------------------------------


def _task(command: str, **fields) -> TaskInfo:
    return TaskInfo.from_assignment({"command": command, **fields})


@pytest.mark.parametrize("platform", ["linux", "windows"])
@pytest.mark.parametrize("name", ["hbatch", "hbatch_mantra", "hbatch_karma", "hbatch_arnold"])
def test_houdini_script_token_becomes_the_script_path(name, platform):
    cls = get_service(name)
    pattern = cls.batch_command(_scene("scene.hip", platform), "", platform, rop="/out/r1")
    assert SCRIPTS_TOKEN in pattern
    service = cls(_task(fill_numbers(pattern, [5, 8])), platform=platform)
    command = service.command()
    assert SCRIPTS_TOKEN not in command
    args = split(command, platform)
    assert args[1] == str(SCRIPT)
    assert args[2:] == [
        "--hip",
        _scene("scene.hip", platform),
        "--rop",
        "/out/r1",
        "--start",
        "5",
        "--end",
        "8",
        "--step",
        "1",
    ]
    assert SCRIPT.is_file()


def test_houdini_script_path_with_a_program_map_and_a_path_map():
    pattern = get_service("hbatch").batch_command("/projects/shot/a.hip", rop="/out/r1")
    path_map = PathMap.parse("/projects=/mnt/projects", "linux")
    service = get_service("hbatch")(
        _task(fill_numbers(pattern, [1, 2])),
        path_map=path_map,
        programs={"hython": "/opt/hfs20.5/bin/hython"},
        platform="linux",
    )
    assert split(service.command(), "linux") == [
        "/opt/hfs20.5/bin/hython",
        str(SCRIPT),
        "--hip",
        "/mnt/projects/shot/a.hip",
        "--rop",
        "/out/r1",
        "--start",
        "1",
        "--end",
        "2",
        "--step",
        "1",
    ]


@pytest.mark.parametrize(
    "start, end, inc, count",
    [(1, 10, 1, 10), (1, 9, 2, 5), (1, 10, 2, 5), (5, 5, 1, 1), (1001, 1100, 10, 10)],
)
def test_karma_frame_count(start, end, inc, count):
    pattern = get_service("karma").batch_command("/p/s.usd", step=str(inc))
    assert FRAME_COUNT_TOKEN in pattern
    task = _task(
        fill_numbers(pattern, [start, end]), frame_start=start, frame_end=end, frames_inc=inc
    )
    args = split(get_service("karma")(task, platform="linux").command(), "linux")
    assert args[args.index("-f") + 1] == str(start)
    assert args[args.index("-n") + 1] == str(count)
    assert args[args.index("-i") + 1] == str(inc)


def test_other_services_leave_the_tokens_alone():
    # only the services that define a token replace it
    command = f"echo {SCRIPTS_TOKEN}/x.py {FRAME_COUNT_TOKEN}"
    assert get_service("maya")(_task(command)).command() == command


def test_maya_program_map_and_path_map():
    pattern = get_service("maya").batch_command("/projects/shot 010/a.mb", "/projects/out")
    task = _task(fill_numbers(pattern, [1, 10]), capacity_coeff=2)
    service = get_service("maya")(
        task,
        path_map=PathMap.parse("/projects=/mnt/projects", "linux"),
        programs={"Render": "/usr/autodesk/maya2025/bin/Render"},
        platform="linux",
    )
    assert service.command() == (
        "/usr/autodesk/maya2025/bin/Render -r file -s '1' -e '10' -b 1 "
        "-rd /mnt/projects/out '/mnt/projects/shot 010/a.mb'"
    )


def test_windows_program_map_and_path_map():
    pattern = get_service("maya_arnold").batch_command(
        "P:\\Shows\\Shot 010\\a.mb", "P:\\Shows\\out", "windows"
    )
    service = get_service("maya_arnold")(
        _task(fill_numbers(pattern, [3, 4])),
        path_map=PathMap.parse("P:/Shows=//nas/shows", "windows"),
        programs={"Render": '"C:\\Program Files\\Autodesk\\Maya2025\\bin\\Render.exe"'},
        platform="windows",
    )
    command = service.command()
    assert split(command, "windows") == [
        "C:\\Program Files\\Autodesk\\Maya2025\\bin\\Render.exe",
        "-r",
        "arnold",
        "-ai:lve",
        "2",
        "-s",
        "3",
        "-e",
        "4",
        "-b",
        "1",
        "-rd",
        "\\\\nas\\shows\\out",
        "\\\\nas\\shows\\Shot 010\\a.mb",
    ]


def test_nuke_versioned_install():
    pattern = get_service("nuke").batch_command("C:\\comp\\a.nk", "", "windows", write="W1")
    service = get_service("nuke")(
        _task(fill_numbers(pattern, [1, 5])),
        programs={"Nuke": "C:\\Nuke15.1v2\\Nuke15.1.exe"},
        platform="windows",
    )
    assert service.command() == "C:\\Nuke15.1v2\\Nuke15.1.exe -F 1-5 -X W1 -x C:\\comp\\a.nk"


# -- the Houdini wrapper script, run for real (without Houdini, and with a stand-in `hou`) ------


def _run_script(*args: str, env_path: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    if env_path is not None:
        env["PYTHONPATH"] = str(env_path)
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


def test_script_is_not_a_module_of_the_package():
    assert not (SCRIPT.parent / "__init__.py").exists()
    SERVICES.load()
    assert not any(name.startswith("app.services.scripts") for name in sys.modules)


def test_script_help_and_argument_errors_without_houdini():
    done = _run_script("--help")
    assert done.returncode == 0
    assert "--hip" in done.stdout and "--rop" in done.stdout
    done = _run_script("--hip", "a.hip")
    assert done.returncode == 2
    assert "--rop" in done.stderr
    done = _run_script("--hip", "a.hip", "--rop", "/out/r", "--start", "1", "--end", "x")
    assert done.returncode == 2 and "--end" in done.stderr
    done = _run_script("--hip", "a.hip", "--rop", "/out/r", "--start", "5", "--end", "1")
    assert done.returncode == 2 and "below --start" in done.stderr
    done = _run_script(
        "--hip", "a.hip", "--rop", "/out/r", "--start", "1", "--end", "2", "--step", "0"
    )
    assert done.returncode == 2 and "--step" in done.stderr


def test_script_without_hou_says_to_use_hython():
    done = _run_script("--hip", "a.hip", "--rop", "/out/r", "--start", "1", "--end", "2")
    assert done.returncode == 2
    assert "cannot import hou" in done.stderr and "hython" in done.stderr
    assert "Traceback" not in done.stderr


FAKE_HOU = textwrap.dedent(
    """
    import sys

    class Error(Exception):
        pass

    class _Parm:
        def __init__(self, node, name):
            self.node, self.name = node, name
        def set(self, value):
            print(f"SET {self.name}={value}")

    class _Rop:
        def __init__(self, parms, fail_at):
            self.parms, self.fail_at = parms, fail_at
        def parm(self, name):
            return _Parm(self, name) if name in self.parms else None
        def render(self, frame_range, verbose, output_progress):
            assert verbose and output_progress
            if frame_range[0] == self.fail_at:
                raise Error("licence lost")
            print(f"RENDER {frame_range}")

    class hipFile:
        @staticmethod
        def load(path, suppress_save_prompt, ignore_load_warnings):
            if path == "missing.hip":
                raise Error("no such file")
            print(f"LOAD {path}")

    def node(path):
        if path == "/out/mantra1":
            return _Rop({"vm_alfprogress", "vm_verbose", "vm_picture"}, 7)
        if path == "/obj/geo1":
            return object()
        return None
    """
)


def test_script_renders_frame_by_frame(tmp_path):
    (tmp_path / "hou.py").write_text(FAKE_HOU)
    args = ["--hip", "/p/a.hip", "--rop", "/out/mantra1", "--start", "1", "--end", "5"]
    args += ["--step", "2", "--output", "/r/f.$F4.exr"]
    done = _run_script(*args, env_path=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "LOAD /p/a.hip",
        "SET vm_alfprogress=1",
        "SET vm_verbose=2",
        "SET vm_picture=/r/f.$F4.exr",
        "CORRAL_ROP: /out/mantra1 frame 1",
        "RENDER (1, 1, 2)",
        "CORRAL_ROP: /out/mantra1 frame 3",
        "RENDER (3, 3, 2)",
        "CORRAL_ROP: /out/mantra1 frame 5",
        "RENDER (5, 5, 2)",
    ]


def test_script_failures(tmp_path):
    (tmp_path / "hou.py").write_text(FAKE_HOU)
    base = ["--start", "6", "--end", "8"]
    done = _run_script("--hip", "/p/a.hip", "--rop", "/out/mantra1", *base, env_path=tmp_path)
    assert done.returncode == 1
    assert done.stdout.splitlines()[-1] == "CORRAL_ROP: /out/mantra1 frame 7"
    assert "frame 7 failed: licence lost" in done.stderr
    done = _run_script("--hip", "missing.hip", "--rop", "/out/mantra1", *base, env_path=tmp_path)
    assert done.returncode == 1 and "cannot load missing.hip" in done.stderr
    done = _run_script("--hip", "/p/a.hip", "--rop", "/out/nope", *base, env_path=tmp_path)
    assert done.returncode == 1 and "not a ROP" in done.stderr
    done = _run_script("--hip", "/p/a.hip", "--rop", "/obj/geo1", *base, env_path=tmp_path)
    assert done.returncode == 1 and "not a ROP" in done.stderr


def test_generic_service_is_the_base():
    assert get_service("generic") is Service
