"""Task directories: empty ones are reused, used ones removed, kept ones removed at the end."""

import os

from app.render.task_dirs import KEEP, TaskDirs


async def test_empty_directories_are_reused_and_used_ones_removed(tmp_path):
    dirs = TaskDirs(tmp_path)
    first = dirs.take()
    assert os.path.isdir(first) and not os.listdir(first)
    await dirs.give_back(first)
    assert dirs.take() == first  # left empty: the next task gets it

    (tmp_path / first / "frame.exr").write_text("x")
    await dirs.give_back(first)
    assert not os.path.exists(first)  # left files: removed
    second = dirs.take()
    assert second != first and not os.listdir(second)


async def test_at_most_keep_directories_are_kept_and_close_removes_them(tmp_path):
    dirs = TaskDirs(tmp_path)
    taken = [dirs.take() for _ in range(KEEP + 3)]
    for path in taken:
        await dirs.give_back(path)
    assert len(os.listdir(tmp_path)) == KEEP
    dirs.close()
    assert os.listdir(tmp_path) == []


async def test_a_kept_directory_removed_meanwhile_is_not_handed_out(tmp_path):
    dirs = TaskDirs(tmp_path)
    path = dirs.take()
    await dirs.give_back(path)
    os.rmdir(path)  # e.g. a tmp cleaner
    fresh = dirs.take()
    assert os.path.isdir(fresh)
    await dirs.give_back(os.path.join(tmp_path, "never-existed"))  # nothing to do, no error
