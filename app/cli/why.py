"""What to do when a job runs nothing: the fix of each reason the explainer gives
(``corral job why``, and ``corral job watch`` while the job waits)."""

from __future__ import annotations

# What to do about the explainer's reasons that people meet most: (a word of the reason, the fix;
# {job} the job's id, {render} the render's name).
_WHY_FIXES = (
    ("hosts_mask", "corral job set {job} hosts_mask=REGEX (a regular expression of render names)"),
    ("job is paused", "corral job start {job}"),
    ("render is NIMBY", "corral render-ctl free {render}"),
    ("render is nimby", "corral render-ctl free {render} (or run the job as its user)"),
    ("render is paused", "corral render-ctl unpause {render}"),
    ("render is sick", "mend the host, then: corral render-ctl heal-sick {render}"),
    (
        "is not enabled on this render",
        "enable the service on {render}: corral render set "
        "{render} services_disabled=[] (or in its pool: corral pool set PATH services=...)",
    ),
    ("need_os", "corral job set {job} need_os=... (or start a render of that OS)"),
    ("need_properties", "corral job set {job} need_properties=... (or give renders them)"),
    ("errors_avoid_host", "corral job reset-error-hosts {job}"),
    ("job pools", "corral job set {job} pools={{}} (or put a render in an allowed pool)"),
)
NO_RENDERS_FIX = "start a render on a farm host: corral render --server URL"


def why_fixes(answer: dict) -> list[str]:
    """The fixes of a job that runs nothing, one per reason the renders give (in order)."""
    if answer.get("running"):
        return []
    renders = answer.get("renders") or []
    if not renders:
        return [NO_RENDERS_FIX]
    fixes = []
    for render in renders:
        for word, fix in _WHY_FIXES:
            if word in str(render.get("reason")):
                fixes.append(fix.format(job=answer.get("job"), render=render.get("render")))
                break
    return list(dict.fromkeys(fixes))


def waiting_text(answer: dict) -> str | None:
    """One line on why a job that runs nothing waits, with the fix of the first reason; None
    when it runs or a render may start it now."""
    from app.core.solver import CAN_RUN_HERE

    renders = answer.get("renders") or []
    if answer.get("running") or any(r.get("reason") == CAN_RUN_HERE for r in renders):
        return None
    first = (
        f"{renders[0].get('render')}: {renders[0].get('reason')}"
        if renders
        else ("no online renders")
    )
    fixes = why_fixes(answer)
    return f"waiting ({first})" + (f"; fix: {fixes[0]}" if fixes else "")
