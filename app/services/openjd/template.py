"""Open Job Description job templates (specification 2023-09) as Corral jobs.

:func:`load_template` reads and validates a template with the ``openjd-model`` package (the
``openjd`` extra); :func:`template_job` applies parameter values and turns it into a Corral job
document: a block per step (service ``openjd``), a listed task per point of the step's parameter
space (ranges, ``*`` products, ``(A, B)`` associations; ``CHUNK[INT]`` gives one task per chunk),
``dependencies`` as the block's ``depend_mask``, host requirements as the block's needs, and each
task's command a session document that app/services/openjd/session.py runs on the render
(embedded files, the job's and the step's environments entered and exited around the task).
What Corral cannot do yet raises :class:`TemplateError` naming it. See docs/openjd.md.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openjd.model import (
    DecodeValidationError,
    DocumentType,
    StepParameterSpaceIterator,
    SymbolTable,
    create_job,
    decode_job_template,
    document_string_to_object,
    preprocess_job_parameters,
)

from app.services.openjd import OpenJDService
from app.services.openjd.session import SESSION_DIR

SUPPORTED_EXTENSIONS = ("TASK_CHUNKING",)

# amount.worker.* capability -> the block's need (MiB as MB, GiB as GB)
_AMOUNTS = {
    "amount.worker.vcpu": "need_cpu_cores",
    "amount.worker.memory": "need_memory",
    "amount.worker.gpu.memory": "need_gpu_mem_mb",
    "amount.worker.disk.scratch": "need_hdd",
}
_OS_FAMILY = "attr.worker.os.family"
_CUSTOM_AMOUNT = "amount.custom."
_CUSTOM_ATTRIBUTE = "attr.custom."


class TemplateError(ValueError):
    """A template that is not valid, not given its parameters, or uses what Corral lacks."""


@dataclass(frozen=True)
class Parameter:
    """A job parameter of a template, as a form offers it."""

    name: str
    type: str  # STRING, INT, FLOAT or PATH
    default: str | None
    allowed: tuple[str, ...]
    description: str


def load_template(text: str, label: str) -> Any:
    """The validated template of a YAML or JSON document; TemplateError says what is wrong."""
    kind = DocumentType.JSON if text.lstrip().startswith("{") else DocumentType.YAML
    try:
        document = document_string_to_object(document=text, document_type=kind)
        return decode_job_template(template=document, supported_extensions=SUPPORTED_EXTENSIONS)
    except (DecodeValidationError, ValueError, NotImplementedError) as error:
        raise TemplateError(
            f"invalid Open Job Description template {label} (Corral supports the extensions "
            f"{', '.join(SUPPORTED_EXTENSIONS)}): {error}"
        ) from None


def parameters(template: Any) -> list[Parameter]:
    """The job parameters a template declares, in order."""
    out = []
    for definition in template.parameterDefinitions or ():
        default = getattr(definition, "default", None)
        allowed = getattr(definition, "allowedValues", None) or ()
        out.append(
            Parameter(
                name=definition.name,
                type=str(definition.type.value),
                default=None if default is None else str(default),
                allowed=tuple(str(value) for value in allowed),
                description=getattr(definition, "description", None) or "",
            )
        )
    return out


def template_job(
    template: Any, values: Mapping[str, str], template_dir: Path, cwd: Path
) -> dict[str, Any]:
    """The Corral job of a template given parameter values (text, by name); relative PATH
    values are made absolute from cwd. TemplateError for bad values or what is not supported."""
    try:
        given = preprocess_job_parameters(
            job_template=template,
            job_parameter_values=dict(values),
            job_template_dir=template_dir.resolve(),
            current_working_dir=cwd.resolve(),
        )
        job = create_job(job_template=template, job_parameter_values=given)
    except (DecodeValidationError, ValueError) as error:
        raise TemplateError(f"cannot make the job: {error}") from None
    symbols = {
        f"{prefix}.{name}": value.value
        for name, value in given.items()
        for prefix in ("Param", "RawParam")
    }
    symbols["Session.WorkingDirectory"] = SESSION_DIR
    symbols["Session.HasPathMappingRules"] = "false"
    blocks = [_block(step, job.jobEnvironments or [], symbols) for step in job.steps]
    doc: dict[str, Any] = {"name": job.name, "blocks": blocks}
    if job.description:
        doc["description"] = job.description
    families = {block.pop("need_os") for block in blocks if "need_os" in block}
    if len(families) > 1:
        raise TemplateError(
            f"steps need different OS families ({', '.join(sorted(families))}): a Corral job "
            "has one need_os"
        )
    if families:
        doc["need_os"] = families.pop()
    return doc


def _block(step: Any, job_environments: list[Any], symbols: dict[str, str]) -> dict[str, Any]:
    """A step as a block of listed tasks."""
    block: dict[str, Any] = {"name": step.name, "service": OpenJDService.name, "parser": "generic"}
    environments, env_files = [], []
    for i, env in enumerate([*job_environments, *(step.stepEnvironments or [])]):
        environment, files = _environment(i, env, symbols)
        environments.append(environment)
        env_files += files
    run = step.script.actions.onRun
    tasks = []
    for point in _points(step):
        task_symbols = dict(symbols)
        for name, value in point.items():
            task_symbols[f"Task.Param.{name}"] = value.value
            task_symbols[f"Task.RawParam.{name}"] = value.value
        files = _files("task", step.script.embeddedFiles, task_symbols, "Task.File")
        session = {
            "files": [*env_files, *files],
            "environments": environments,
            "run": _action(run, SymbolTable(source=task_symbols), f"step {step.name} onRun"),
        }
        name = ", ".join(f"{key}={value.value}" for key, value in point.items()) or step.name
        tasks.append({"name": name, "command": json.dumps(session, separators=(",", ":"))})
    block["tasks"] = tasks
    if run.timeout is not None:
        block["task_max_run_time"] = int(str(run.timeout))
    if step.dependencies:
        names = "|".join(re.escape(dep.dependsOn) for dep in step.dependencies)
        block["depend_mask"] = f"({names})"
    if step.hostRequirements is not None:
        block.update(_requirements(step.name, step.hostRequirements))
    return block


def _points(step: Any) -> list[dict[str, Any]]:
    """The task parameter sets of a step (one empty set without a parameter space)."""
    if step.parameterSpace is None:
        return [{}]
    return list(StepParameterSpaceIterator(space=step.parameterSpace))


def _files(owner: str, embedded: Any, symbols: dict[str, str], prefix: str) -> list[dict]:
    """Embedded files: their paths put in symbols (``Task.File.Name``), their data resolved."""
    embedded = embedded or []
    for file in embedded:
        symbols[f"{prefix}.{file.name}"] = f"{SESSION_DIR}/{owner}/{file.filename or file.name}"
    table = SymbolTable(source=symbols)
    return [
        {
            "path": symbols[f"{prefix}.{file.name}"],
            "data": _resolve(file.data, table, f"embedded file {file.name}"),
            "runnable": bool(file.runnable),
        }
        for file in embedded
    ]


def _environment(index: int, env: Any, symbols: dict[str, str]) -> tuple[dict, list[dict]]:
    """An environment (its variables, enter and exit actions) and its files, resolved."""
    env_symbols = dict(symbols)
    script = env.script
    files = _files(f"env{index}", script and script.embeddedFiles, env_symbols, "Env.File")
    table = SymbolTable(source=env_symbols)
    where = f"environment {env.name}"
    variables = {
        name: _resolve(value, table, f"{where} variable {name}")
        for name, value in (env.variables or {}).items()
    }
    actions = script.actions if script is not None else None
    environment = {
        "name": env.name,
        "variables": variables,
        "enter": _action(actions and actions.onEnter, table, f"{where} onEnter"),
        "exit": _action(actions and actions.onExit, table, f"{where} onExit"),
    }
    return environment, files


def _action(action: Any, table: SymbolTable, where: str) -> dict[str, Any] | None:
    if action is None:
        return None
    args = [action.command, *(action.args or [])]
    timeout = action.timeout
    return {
        "args": [_resolve(arg, table, where) for arg in args],
        "timeout": None if timeout is None else int(str(timeout)),
    }


def _resolve(text: Any, table: SymbolTable, where: str) -> str:
    try:
        return text.resolve(symtab=table)
    except ValueError as error:
        raise TemplateError(f"{where}: {error}") from None


def _requirements(step: str, requirements: Any) -> dict[str, Any]:
    """Block keys of a step's host requirements: amounts as needs and tickets, attributes as
    need_properties and the OS family (``need_os``, taken to the job)."""
    out: dict[str, Any] = {}
    for amount in requirements.amounts or ():
        where = f"step {step}: {amount.name}"
        if amount.max is not None:
            raise TemplateError(f"{where}: a maximum is not supported yet")
        if amount.min is None:
            continue
        minimum = int(amount.min)
        if amount.name.startswith(_CUSTOM_AMOUNT):
            out.setdefault("tickets", {})[amount.name[len(_CUSTOM_AMOUNT) :]] = minimum
        elif amount.name in _AMOUNTS:
            out[_AMOUNTS[amount.name]] = minimum
        else:
            raise TemplateError(f"{where}: this amount is not supported yet")
    properties = []
    for attribute in requirements.attributes or ():
        where = f"step {step}: {attribute.name}"
        values = [*(attribute.anyOf or ()), *(attribute.allOf or ())]
        if attribute.allOf and len(attribute.allOf) > 1:
            raise TemplateError(f"{where}: allOf with several values is not supported yet")
        if attribute.name == _OS_FAMILY:
            out["need_os"] = " ".join(values)
        elif attribute.name.startswith(_CUSTOM_ATTRIBUTE):
            properties.append(values)
        else:
            raise TemplateError(f"{where}: this attribute is not supported yet")
    if len(properties) > 1:
        raise TemplateError(
            f"step {step}: several custom attributes are not supported yet (Corral's "
            "need_properties matches any one of its words)"
        )
    if properties:
        out["need_properties"] = " ".join(properties[0])
    return out
