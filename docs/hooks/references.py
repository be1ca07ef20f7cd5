"""The documentation site's generated references, written from the code at every build.

MkDocs loads this module as a hook (mkdocs.yml ``hooks``): ``on_files`` adds the pages below to
the site without writing them to disk, so they are never maintained twice and cannot fall
behind the code. Each page is one function of the code it describes:

- ``reference/job-json.md``: the job, block and task keys, from app/core/jobspec.py
  (``job_schema`` with each key's description from app/core/key_docs.py, the dataclasses'
  defaults and ``JOB_EDITABLE``/``BLOCK_EDITABLE``);
- ``reference/rest-api.md``: the REST API, from the OpenAPI document the server serves
  (app/server/routes.py ``OPENAPI``);
- ``reference/cli.md``: every verb and option of ``corral``, from its argument parser
  (app/cli/command.py ``build_parser``);
- ``reference/services.md``: the built-in services and their options, and the parsers with the
  rules of their pattern tables (app/services, app/parsers).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # mkdocs runs from the repository root, not always on sys.path
    sys.path.insert(0, str(ROOT))

GENERATED_NOTE = (
    '!!! note "Generated"\n    This page is written from the code at every build '
    "(docs/hooks/references.py): {source}.\n"
)


def _prose(text: object) -> str:
    """Text from the code as Markdown prose: no HTML tags (``Render -r <renderer>``), no
    emphasis (``*.py``)."""
    return str(text).replace("<", "&lt;").replace("*", "\\*")


def _cell(text: object) -> str:
    """Text safe inside a Markdown table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def _code(text: object) -> str:
    """Inline code for a table cell (a backtick inside doubles the fence; pipes inside code
    spans do not split Python-Markdown's table cells)."""
    text = str(text).replace("\n", " ")
    return f"`` {text} ``" if "`" in text else f"`{text}`"


# -- job JSON -------------------------------------------------------------------------------


def schema_type(schema: dict) -> str:
    """A JSON schema in a few words: its type and limits."""
    if "enum" in schema:
        return "one of " + ", ".join(json.dumps(v) for v in schema["enum"])
    if "anyOf" in schema:
        return " or ".join(schema_type(s) for s in schema["anyOf"])
    if "const" in schema:
        return json.dumps(schema["const"])
    kind = schema.get("type")
    if isinstance(kind, list):
        return " or ".join(schema_type({**schema, "type": k}) for k in kind)
    if kind in ("integer", "number"):
        low, high = schema.get("minimum"), schema.get("maximum")
        if low is not None and high is not None:
            return f"{kind} {low:,} to {high:,}"
        if low is not None:
            return f"{kind} from {low:,}"
        return kind
    if kind == "string":
        words = ["name" if "pattern" in schema else "text"]
        if schema.get("minLength"):
            words.append(f"at least {schema['minLength']}")
        if "maxLength" in schema:
            words.append(f"at most {schema['maxLength']:,} characters")
        if "pattern" in schema:
            words.append(f"matching `{schema['pattern']}`")
        return ", ".join(words)
    if kind == "null":
        return "null"
    if kind == "boolean":
        return "true or false"
    if kind == "array":
        limit = f", at most {schema['maxItems']:,}" if "maxItems" in schema else ""
        return f"list of ({schema_type(schema['items'])}){limit}"
    if kind == "object" and "additionalProperties" in schema:
        return f"object of name → ({schema_type(schema['additionalProperties'])})"
    if kind == "object":
        return "object"
    return f"`{json.dumps(schema)}`"  # a shape without words: the schema itself


def _json(value: object) -> str:
    return json.dumps(list(value) if isinstance(value, tuple) else value)


def _key_table(schema: dict, parsed: object, editable: tuple[str, ...] | None) -> Iterator[str]:
    """A table of an object's keys: meaning and type and limits (the schema's description and
    limits), default (what the parser made of a document without the key: ``parsed``) and, for
    jobs and blocks, editability."""
    required = set(schema.get("required", ()))
    head = "| key | meaning | type and limits | default |"
    rule = "|---|---|---|---|"
    if editable is not None:
        head, rule = head + " editable |", rule + "---|"
    yield head
    yield rule
    for key, sub in schema["properties"].items():
        if key == "blocks":
            kind = "list of blocks (below), at least 1"
        elif key == "tasks":
            kind = "list of tasks (below), at least 1 in a block that is not numeric"
        else:
            kind = schema_type(sub)
        if key in required:
            default = "required"
        elif key == "tasks":
            default = "[]"
        elif hasattr(parsed, key):
            default = _json(getattr(parsed, key))
        else:  # Afanasy's block flags, read into the block's own keys
            default = "0"
        meaning = _cell(_prose(sub["description"]))
        row = f"| {_code(key)} | {meaning} | {_cell(kind)} | {_code(default)} |"
        if editable is not None:
            row += " yes |" if key in editable else " no |"
        yield row


# The smallest job: what the parser makes of it gives every other key's default.
MINIMAL_JOB = {"blocks": [{"tasks": [{"command": "x"}]}]}


def job_json_page() -> str:
    """The job JSON reference: every key a job, a block and a task may have."""
    from app.core import jobspec

    job = jobspec.job_schema()
    block = job["properties"]["blocks"]["items"]
    task = block["properties"]["tasks"]["items"]
    parsed = jobspec.parse_job(MINIMAL_JOB)
    lines = [
        "# Job JSON reference",
        "",
        GENERATED_NOTE.format(
            source="app/core/jobspec.py: `job_schema` and what `parse_job` makes of a key left out"
        ),
        "A job is a JSON object sent to `POST /api/v1/jobs` or `corral submit FILE.json`. Keys",
        "use Afanasy's names and meanings ([Jobs, blocks and tasks](../concepts/jobs.md)).",
        "Other keys are kept with the job and named in the submit's warnings (`--strict`",
        "refuses them); *editable* keys change after submission with `corral job set ID`",
        "(`corral job set --block N ID` for a block; `PATCH` on the job or the block).",
        "",
        "## Job",
        "",
        *_key_table(job, parsed, jobspec.JOB_EDITABLE),
        "",
        "## Block",
        "",
        'A block is numeric (`"numeric": true` with a `command` and a frame range; its tasks',
        "are made from the range) or lists its `tasks`.",
        "",
        *_key_table(block, parsed.blocks[0], jobspec.BLOCK_EDITABLE),
        "",
        "## Task",
        "",
        "A task of a block's `tasks` list.",
        "",
        *_key_table(task, parsed.blocks[0].tasks[0], None),
        "",
        "## The whole schema",
        "",
        "The JSON schema the server checks a job against (`JobSpec` in the",
        "[REST API](rest-api.md)):",
        "",
        '??? abstract "job_schema()"',
        "    ```json",
        *("    " + line for line in json.dumps(job, indent=2).splitlines()),
        "    ```",
        "",
    ]
    return "\n".join(lines)


# -- REST API -------------------------------------------------------------------------------


def _ref_name(schema: dict) -> str:
    ref = schema.get("$ref", "")
    return ref.rsplit("/", 1)[-1]


def _schema_link(schema: dict) -> str:
    name = _ref_name(schema)
    return f"[`{name}`](#schema-{name.lower()})" if name else f"`{json.dumps(schema)}`"


def _operation(method: str, path: str, op: dict) -> Iterator[str]:
    yield f"### `{method.upper()} {path}`"
    yield ""
    access, operation = op["x-corral-access"], op["operationId"]
    yield f"{_prose(op['summary'])}. Access: **{access}**. Operation: `{operation}`."
    yield ""
    if op.get("parameters"):
        yield "| parameter | in | required | schema | description |"
        yield "|---|---|---|---|---|"
        for p in op["parameters"]:
            yield (
                f"| `{p['name']}` | {p['in']} | {'yes' if p['required'] else 'no'} | "
                f"{_cell(schema_type(p['schema']))} | "
                f"{_cell(_prose(p.get('description', '')))} |"
            )
        yield ""
    body = op.get("requestBody")
    if body:
        schema = body["content"]["application/json"]["schema"]
        need = "required" if body["required"] else "optional"
        if "$ref" in schema:
            yield f"Body ({need}): {_schema_link(schema)}."
            yield ""
        else:
            yield f'??? abstract "Body ({need})"'
            yield "    ```json"
            yield from ("    " + line for line in json.dumps(schema, indent=2).splitlines())
            yield "    ```"
            yield ""
    yield "| status | meaning |"
    yield "|---|---|"
    for status, answer in op["responses"].items():
        text = _cell(_prose(answer["description"]))
        for media, content in answer.get("content", {}).items():
            schema = content["schema"]
            text += f": {media}" + (f" {_schema_link(schema)}" if "$ref" in schema else "")
        yield f"| {status} | {text} |"
    yield ""


def rest_api_page() -> str:
    """The REST API reference: every operation of the server's OpenAPI document."""
    from app.server.routes import OPENAPI

    lines = [
        "# REST API reference",
        "",
        GENERATED_NOTE.format(source="the server's OpenAPI document, app/server/routes.py"),
        f"OpenAPI {OPENAPI['openapi']}, API version {OPENAPI['info']['version']}. The running",
        "server serves the same document at `GET /api/v1/openapi.json`. Every operation but",
        "the public ones needs `Authorization: Bearer TOKEN`",
        "([Security](../operations/security.md)); *access* is who may call it. The render",
        "WebSocket is described in [the protocol](../protocol.md).",
        "",
        "## Operations",
        "",
    ]
    for path, methods in OPENAPI["paths"].items():
        for method, op in methods.items():
            lines += _operation(method, path, op)
    lines += ["## Schemas", ""]
    for name, schema in OPENAPI["components"]["schemas"].items():
        lines += [
            f"### {name} {{#schema-{name.lower()}}}",
            "",
            f'??? abstract "{name}"',
            "    ```json",
            *("    " + line for line in json.dumps(schema, indent=2).splitlines()),
            "    ```",
            "",
        ]
    return "\n".join(lines)


# -- CLI ------------------------------------------------------------------------------------


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _helps(parser: argparse.ArgumentParser) -> dict[str, str]:
    """A parser's subcommands' one-line helps."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return {a.dest: a.help or "" for a in action._choices_actions}
    return {}


def walk_parser(
    parser: argparse.ArgumentParser, words: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser, str]]:
    """(verb words, parser, one-line help) of the parser and each subcommand, depth first."""
    yield words, parser, ""
    helps = _helps(parser)
    for name, sub in _subcommands(parser).items():
        for found in walk_parser(sub, (*words, name)):
            yield found if found[0] != (*words, name) else (found[0], found[1], helps[name])


def _argument(action: argparse.Action) -> str:
    """A table row: the argument as typed (``--server URL``), its help and its choices."""
    if not action.option_strings:
        names = f"`{action.metavar or action.dest}`"
    else:
        metavar = ""
        if action.nargs != 0:
            metavar = action.metavar or action.dest.upper()
            metavar = " " + (" ".join(metavar) if isinstance(metavar, tuple) else metavar)
        names = ", ".join(f"`{option}{metavar}`" for option in action.option_strings)
    text = _prose(action.help or "")
    if action.choices and not isinstance(action, argparse._SubParsersAction):
        text += " (one of: " + ", ".join(f"`{c}`" for c in action.choices) + ")"
    return f"| {names} | {_cell(text)} |"


def cli_page() -> str:
    """The CLI reference: every verb of ``corral`` with its arguments."""
    from app.cli.command import build_parser

    lines = [
        "# Command-line reference",
        "",
        GENERATED_NOTE.format(source="the argument parser, app/cli/command.py `build_parser`"),
        "`corral VERB --help` prints the same on a terminal.",
        "",
    ]
    for words, parser, summary in walk_parser(build_parser()):
        title = " ".join(("corral", *words))
        lines += [f"## `{title}`", ""]
        if summary:
            text = _prose(summary[0].upper() + summary[1:])
            lines += [text if text.endswith(".") else text + ".", ""]
        usage = parser.format_usage().strip()
        lines += ["```text", usage, "```", ""]
        if parser.description and words:
            lines += [_prose(parser.description), ""]
        actions = [
            a
            for a in parser._actions
            if not isinstance(a, argparse._SubParsersAction | argparse._HelpAction)
            and a.help != argparse.SUPPRESS
        ]
        if actions:
            lines += ["| argument | meaning |", "|---|---|", *map(_argument, actions), ""]
        if parser.epilog and words:
            lines += ["```text", parser.epilog, "```", ""]
    return "\n".join(lines)


# -- services and parsers -------------------------------------------------------------------


def services_page() -> str:
    """The built-in services with their options, and the parsers with their pattern tables."""
    from app.parsers import PARSERS
    from app.parsers.table import TableParser
    from app.services import SERVICES

    lines = [
        "# Services and parsers reference",
        "",
        GENERATED_NOTE.format(source="the classes in app/services and app/parsers"),
        "What `corral services` lists on a host without plugins. How to write your own:",
        "[Services](../plugins/services.md), [Parsers](../plugins/parsers.md).",
        "",
        "## Services",
        "",
    ]
    for name, cls, _ in SERVICES.items():
        lines += [
            f"### `{name}`",
            "",
            f"{_prose(cls.description)}. Default parser: `{cls.parser}`.",
            "",
        ]
        if cls.options:
            lines += ["| option | meaning |", "|---|---|"]
            lines += [f"| `{k}` | {_cell(_prose(v))} |" for k, v in cls.options.items()]
            lines.append("")
    lines += ["## Parsers", ""]
    for name, cls, _ in PARSERS.items():
        doc = " ".join((cls.__doc__ or "").strip().split("\n\n")[0].split())
        lines += [f"### `{name}`", "", f"`{cls.__module__}.{cls.__name__}`: {_prose(doc)}", ""]
        if issubclass(cls, TableParser):
            bases = [
                b.__name__
                for b in cls.__mro__[1:]
                if issubclass(b, TableParser) and b.__dict__.get("table")
            ]
            own = cls.__dict__.get("table", ())
            if bases:
                lines += [f"Also reads the tables of {', '.join(f'`{b}`' for b in bases)}.", ""]
            if own:
                lines += ["| kind | pattern | needle |", "|---|---|---|"]
                lines += [
                    f"| {r.kind} | {_code(r.pattern)} | {_code(r.needle) if r.needle else ''} |"
                    for r in own
                ]
                lines.append("")
    return "\n".join(lines)


PAGES: dict[str, Callable[[], str]] = {
    "reference/job-json.md": job_json_page,
    "reference/rest-api.md": rest_api_page,
    "reference/cli.md": cli_page,
    "reference/services.md": services_page,
}


def on_files(files, config):  # noqa: ANN001, ANN201 (MkDocs' hook signature)
    """Add the generated pages to the site."""
    from mkdocs.structure.files import File

    for uri, page in PAGES.items():
        files.append(File.generated(config, uri, content=page()))
    return files
