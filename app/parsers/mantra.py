"""Mantra and Karma (husk) output with Alfred-style progress.

``ALF_PROGRESS 45%`` is the current frame's percent (a frame ends at 100%, the next starts with
the next lower percent, unless a wrapper names the frame: Houdini's verbose ROP line
``21:17:04  rop_usdrender frame 5`` does). ``Generating Image: <path> (WxH)`` is an output file,
``Peak Memory Usage: 1.23 GB`` or a ``Memory: ... peak`` line the peak memory. Missing textures
and files are warnings; a missing Houdini licence is fatal. Karma adds USD's ``Failed to open
layer`` (the scene is missing: fatal) and husk's ``Unable to write to image`` (an error).
"""

from __future__ import annotations

from app.parsers.table import Rule, TableParser

_SIZE = r"(\d[\d,]*(?:\.\d+)?)\s*([KMGT]i?B)"


class MantraParser(TableParser):
    """Mantra's ALF_PROGRESS, images, peak memory, warnings and errors."""

    name = "mantra"
    table = (
        # https://github.com/aws-deadline/deadline-cloud-for-houdini/pull/141 (a farm's log):
        #   ... ADAPTOR_OUTPUT: STDOUT: 21:17:04  rop_usdrender frame 5
        #   ... ADAPTOR_OUTPUT: STDOUT: ALF_PROGRESS 17%
        # and ALF_PROGRESS without "%" (aws-deadline/deadline-cloud-samples pull request 135)
        Rule("frame_percent", r"ALF_PROGRESS\s+(\d+(?:\.\d+)?)", needle="ALF_PROGRESS"),
        # (its time is a prefix base.clean_line cuts: the line arrives as "rop_usdrender frame 5")
        Rule("frame_start", r"^\s*\S+ frame (-?\d+)\s*$", needle=" frame "),
        Rule("file", r"Generating Image:\s*(.+?)\s*\(\s*\d+\s*x\s*\d+\s*\)", needle="Generating"),
        Rule("peak", r"(?i)Peak Memory(?: Usage)?\s*:?\s*" + _SIZE, needle="emory"),
        Rule("peak", r"(?i)Memory:.*?\bpeak\b\s*:?\s*" + _SIZE, needle="emory"),
        Rule("peak", r"(?i)Memory:.*?" + _SIZE + r"\s+peak\b", needle="emory"),
        Rule("fatal", r"No licenses could be found", needle="No licenses"),
        Rule("error", r"Error loading geometry .* from stdin", needle="Error loading geometry"),
        # a shader that does not compile: the render goes on without it, wrong
        # (https://github.com/ChaosGroup/vray-for-houdini/issues/301)
        Rule(
            "error",
            r"Could not find VEX|Failed to resolve VEX|Errors compiling|Failed loading function"
            r"|Undefined op code|: Error \d+: ",
        ),
        Rule("warning", r"Unable to (?:load texture|open texture|find the file)", needle="Unable"),
    )


class KarmaParser(MantraParser):
    """Karma through husk: Mantra's lines plus USD's errors."""

    name = "karma"
    table = (
        Rule("fatal", r"Failed to open layer", needle="Failed to open layer"),
        # https://github.com/ynput/ayon-houdini/issues/209 (husk on a farm):
        #   ... 0: STDOUT: [18:50:47] Unable to write to image: Z:\...\__render__.1006.exr
        Rule("error", r"Unable to write to image", needle="Unable to write"),
        Rule("error", r"\[(?:Error|ERROR)\]", needle="["),
    )
