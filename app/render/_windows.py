"""Windows process-tree control: one job object per task, through ctypes (no pywin32).

Imported on Windows only. The job kills every process in it on TerminateJobObject and when its
last handle is closed (JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE). The process is assigned right after it
starts; a child started in those first microseconds would stay outside the job.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import subprocess
from ctypes import wintypes
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.render.process import TaskProcess

SPAWN_OPTIONS: dict[str, Any] = {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}

_JOB_OBJECT_EXTENDED_LIMIT_INFORMATION = 9
_JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE = 0x2000
_PROCESS_TERMINATE = 0x0001
_PROCESS_SET_QUOTA = 0x0100

log = logging.getLogger("corral.render")


class _BasicLimits(ctypes.Structure):  # JOBOBJECT_BASIC_LIMIT_INFORMATION
    _fields_ = [
        ("PerProcessUserTimeLimit", wintypes.LARGE_INTEGER),
        ("PerJobUserTimeLimit", wintypes.LARGE_INTEGER),
        ("LimitFlags", wintypes.DWORD),
        ("MinimumWorkingSetSize", ctypes.c_size_t),
        ("MaximumWorkingSetSize", ctypes.c_size_t),
        ("ActiveProcessLimit", wintypes.DWORD),
        ("Affinity", ctypes.c_size_t),  # ULONG_PTR
        ("PriorityClass", wintypes.DWORD),
        ("SchedulingClass", wintypes.DWORD),
    ]


class _IoCounters(ctypes.Structure):  # IO_COUNTERS
    _fields_ = [
        (name, ctypes.c_uint64)
        for name in (
            "ReadOperationCount",
            "WriteOperationCount",
            "OtherOperationCount",
            "ReadTransferCount",
            "WriteTransferCount",
            "OtherTransferCount",
        )
    ]


class _ExtendedLimits(ctypes.Structure):  # JOBOBJECT_EXTENDED_LIMIT_INFORMATION
    _fields_ = [
        ("BasicLimitInformation", _BasicLimits),
        ("IoInfo", _IoCounters),
        ("ProcessMemoryLimit", ctypes.c_size_t),
        ("JobMemoryLimit", ctypes.c_size_t),
        ("PeakProcessMemoryUsed", ctypes.c_size_t),
        ("PeakJobMemoryUsed", ctypes.c_size_t),
    ]


_kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)


def _function(name: str, restype: Any, *argtypes: Any) -> Any:
    function = getattr(_kernel32, name)
    function.restype = restype
    function.argtypes = argtypes
    return function


_CreateJobObjectW = _function(
    "CreateJobObjectW", wintypes.HANDLE, wintypes.LPVOID, wintypes.LPCWSTR
)
_SetInformationJobObject = _function(
    "SetInformationJobObject",
    wintypes.BOOL,
    wintypes.HANDLE,
    ctypes.c_int,
    wintypes.LPVOID,
    wintypes.DWORD,
)
_AssignProcessToJobObject = _function(
    "AssignProcessToJobObject", wintypes.BOOL, wintypes.HANDLE, wintypes.HANDLE
)
_TerminateJobObject = _function("TerminateJobObject", wintypes.BOOL, wintypes.HANDLE, wintypes.UINT)
_OpenProcess = _function(
    "OpenProcess", wintypes.HANDLE, wintypes.DWORD, wintypes.BOOL, wintypes.DWORD
)
_CloseHandle = _function("CloseHandle", wintypes.BOOL, wintypes.HANDLE)


def guard_tasks(variable: str, prefix: str) -> None:
    """Nothing to start: Windows closes the handles of a render that dies, however it dies, and
    closing a task's job kills the processes in it (KILL_ON_JOB_CLOSE)."""


def adopt(proc: TaskProcess) -> None:
    """Put the new process in its own kill-on-close job; on failure log and keep proc.job None."""
    job = _CreateJobObjectW(None, None)
    if not job:
        log.warning(
            "no job object for pid %s: %s", proc.pid, ctypes.WinError(ctypes.get_last_error())
        )
        return
    info = _ExtendedLimits()
    info.BasicLimitInformation.LimitFlags = _JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE
    handle = _OpenProcess(_PROCESS_SET_QUOTA | _PROCESS_TERMINATE, False, proc.pid)
    ok = bool(
        _SetInformationJobObject(
            job, _JOB_OBJECT_EXTENDED_LIMIT_INFORMATION, ctypes.byref(info), ctypes.sizeof(info)
        )
        and handle
        and _AssignProcessToJobObject(job, handle)
    )
    error = ctypes.get_last_error()
    if handle:
        _CloseHandle(handle)
    if ok:
        proc.job = job
    else:
        _CloseHandle(job)
        log.warning("pid %s not put in a job object: %s", proc.pid, ctypes.WinError(error))


def release(proc: TaskProcess) -> None:
    """Close the job handle; whatever still runs in the job is killed."""
    if proc.job is not None:
        _CloseHandle(proc.job)
        proc.job = None


async def kill_tree(proc: TaskProcess, grace: float) -> None:
    """CTRL_BREAK the process group, wait up to grace for the main process, then end the job."""
    if proc.returncode is None:
        with contextlib.suppress(OSError):  # fails when the task shares no console with us
            os.kill(proc.pid, signal.CTRL_BREAK_EVENT)
        await proc.wait(grace)
    if proc.job is not None:
        _TerminateJobObject(proc.job, 1)
    else:
        proc.kill()
