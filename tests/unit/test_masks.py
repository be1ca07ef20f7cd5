"""Hosts masks, depend-mask regexes, needs and the render OS string (app.core.masks)."""

import pytest

from app.core.errors import SpecError
from app.core.masks import HostMask, hosts_allowed, name_regex, needs_met, os_string, split_tokens
from app.core.users import User

# ------------------------------------------------------------------------------ find mode


def test_find_mode_matches_names_starting_with_a_token():
    mask = HostMask.compile("r0")
    assert mask.mode == "find"
    assert mask.matches("r01")
    assert mask.matches("r0")
    assert not mask.matches("ar01")  # starts with, not contains
    assert not mask.matches("r1")


@pytest.mark.parametrize("separator", ["|", ";", ",", ":", " ", "\t", " | ", ",,", "\n"])
def test_find_mode_token_separators(separator):
    mask = HostMask.compile(f"render{separator}ws")
    assert mask.matches("render07")
    assert mask.matches("ws12")
    assert not mask.matches("gpu01")


def test_find_mode_tokens_are_not_regexes():
    mask = HostMask.compile("r.*")
    assert not mask.matches("r01")
    assert mask.matches("r.*x")


def test_find_mode_ignores_case():
    assert HostMask.compile("Render").matches("RENDER01")
    assert HostMask.compile("render").matches("Render01")


def test_split_tokens_drops_empty_tokens():
    assert split_tokens(" a|b ;; c,d:e\tf ") == ("a", "b", "c", "d", "e", "f")
    assert split_tokens("") == ()


# ------------------------------------------------------------------------------ regex mode


def test_regex_mode_is_a_full_match():
    mask = HostMask.compile(r"r\d+", "regex")
    assert mask.matches("r01")
    assert not mask.matches("r01a")  # a search would match; a full match does not
    assert not mask.matches("ar01")


def test_regex_mode_alternatives_and_case():
    mask = HostMask.compile("gpu.*|ws0[1-3]", "regex")
    assert mask.matches("GPU7")
    assert mask.matches("ws02")
    assert not mask.matches("ws04")


def test_same_pattern_differs_by_mode():
    assert not HostMask.compile("r0", "regex").matches("r01")
    assert HostMask.compile("r0", "find").matches("r01")


# ------------------------------------------------------------------------------ empty masks


@pytest.mark.parametrize("pattern, mode", [("", "find"), (" , | ", "find"), ("", "regex")])
def test_empty_masks(pattern, mode):
    mask = HostMask.compile(pattern, mode)
    assert mask.empty
    assert not mask.matches("r01")


def test_non_empty_masks_are_not_empty():
    assert not HostMask.compile("r").empty
    assert not HostMask.compile(".*", "regex").empty


def test_hosts_allowed_treats_empty_include_as_all_and_empty_exclude_as_none():
    empty = HostMask.compile("")
    r_hosts = HostMask.compile("r")
    r9 = HostMask.compile("r9")
    assert hosts_allowed("x1", empty, empty)
    assert hosts_allowed("r1", r_hosts, empty)
    assert not hosts_allowed("x1", r_hosts, empty)
    assert not hosts_allowed("r91", r_hosts, r9)
    assert not hosts_allowed("r91", empty, r9)
    assert hosts_allowed("r11", empty, r9)


# ------------------------------------------------------------------------------ errors, cache


def test_bad_regex_raises_spec_error_with_field():
    with pytest.raises(SpecError) as err:
        HostMask.compile("r(", "regex", "blocks[0].hosts_mask")
    assert err.value.field == "blocks[0].hosts_mask"
    assert "regular expression" in err.value.message


def test_bad_regex_default_field():
    with pytest.raises(SpecError) as err:
        HostMask.compile("[", "regex")
    assert err.value.field == "hosts_mask"


def test_find_mode_accepts_regex_metacharacters():
    assert HostMask.compile("r(", "find").matches("r(1")


def test_unknown_mode():
    with pytest.raises(SpecError) as err:
        HostMask.compile("r", "glob", "hosts_mask_exclude")
    assert err.value.field == "hosts_mask_exclude"
    assert "glob" in err.value.message


@pytest.mark.parametrize("pattern, mode", [(None, "find"), (["r"], "find"), ("r", None)])
def test_wrong_types(pattern, mode):
    with pytest.raises(SpecError) as err:
        HostMask.compile(pattern, mode, "hosts_mask")
    assert err.value.field == "hosts_mask"


def test_compiled_masks_are_cached():
    assert HostMask.compile("cache|me") is HostMask.compile("cache|me")
    assert HostMask.compile("cache", "regex") is HostMask.compile("cache", "regex")
    assert HostMask.compile("cache", "regex") is not HostMask.compile("cache", "find")


def test_cache_does_not_keep_the_field_of_an_error():
    for field in ("a", "b"):
        with pytest.raises(SpecError) as err:
            HostMask.compile("(", "regex", field)
        assert err.value.field == field


# ------------------------------------------------------------------------------ depend masks


def test_name_regex_full_match():
    regex = name_regex("shot_.*_comp", "depend_mask")
    assert regex is not None
    assert regex.fullmatch("shot_010_comp")
    assert not regex.fullmatch("shot_010_comp_v2")
    assert not regex.fullmatch("SHOT_010_COMP")  # job names are case-sensitive


def test_name_regex_empty_is_none():
    assert name_regex("", "depend_mask") is None


def test_name_regex_bad_pattern():
    with pytest.raises(SpecError) as err:
        name_regex("a)", "blocks[2].depend_mask")
    assert err.value.field == "blocks[2].depend_mask"
    with pytest.raises(SpecError):
        name_regex(3, "depend_mask")


def test_name_regex_is_cached():
    assert name_regex("abc.*", "x") is name_regex("abc.*", "y")


# ------------------------------------------------------------------------------ needs


def test_empty_need_is_met():
    assert needs_met("", "")
    assert needs_met("", "unix linux 64")
    assert needs_met(" , ", "anything")


def test_need_is_a_substring():
    have = "unix linux 64 debian 12"
    assert needs_met("linux", have)
    assert needs_met("deb", have)
    assert needs_met("64", have)
    assert not needs_met("windows", have)
    assert not needs_met("linux", "")


def test_need_any_token_contained():
    assert needs_met("windows macosx", "unix macosx aarch64")
    assert needs_met("windows|linux", "unix linux 64")
    assert not needs_met("windows,macosx", "unix linux 64")


def test_need_ignores_case():
    assert needs_met("Linux", "unix linux 64")
    assert needs_met("gpu", "GPU ssd")


# ------------------------------------------------------------------------------ OS string


@pytest.mark.parametrize(
    "system, machine, distro, version, expected",
    [
        ("Linux", "x86_64", "debian", "12", "unix linux 64 debian 12"),
        ("Linux", "x86_64", "", "", "unix linux 64"),
        ("Linux", "aarch64", "ubuntu", "24.04", "unix linux aarch64 ubuntu 24.04"),
        ("Linux", "armv7l", "", "", "unix linux arm32"),
        ("Linux", "i686", "", "", "unix linux 32"),
        ("Windows", "AMD64", "", "", "windows 64"),
        ("Windows", "x86", "", "", "windows 32"),
        ("Darwin", "arm64", "", "", "unix macosx aarch64"),
        ("Darwin", "x86_64", "", "", "unix macosx 64"),
        ("FreeBSD", "amd64", "", "", "unix freebsd 64"),
        ("Linux", "riscv64", "", "", "unix linux riscv64"),
        ("Linux", "x86_64", "Rocky Linux", "9.3", "unix linux 64 rocky linux 9.3"),
        ("Linux", "", "", "", "unix linux"),
    ],
)
def test_os_string(system, machine, distro, version, expected):
    assert os_string(system, machine, distro, version) == expected


def test_os_string_meets_need_os():
    have = os_string("Linux", "x86_64", "debian", "12")
    assert needs_met("linux", have)
    assert needs_met("unix", have)
    assert not needs_met("windows", have)
    assert needs_met("windows", os_string("Windows", "AMD64"))


def test_user_masks_are_checked_in_the_mode_they_will_be_used_in():
    user = User(name="ann")
    with pytest.raises(SpecError) as caught:
        user.edit({"hosts_mask": "(", "hosts_mask_type": "regex"})
    assert caught.value.field == "hosts_mask"
    user.edit({"hosts_mask_exclude": "farm["})  # a valid find mask
    with pytest.raises(SpecError) as caught:
        user.edit({"hosts_mask_type": "regex"})  # would make the stored mask invalid
    assert caught.value.field == "hosts_mask_exclude"
    user.edit({"hosts_mask_type": "regex", "hosts_mask_exclude": "farm\\["})
    with pytest.raises(SpecError):
        user.edit({"hosts_mask": "["})  # the user's mode is regex now
    assert (user.hosts_mask, user.hosts_mask_exclude) == ("", "farm\\[")
