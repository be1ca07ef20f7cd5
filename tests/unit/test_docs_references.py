"""The documentation site's generated references (docs/hooks/references.py) say what the code
says: every job key with its meaning, limits, default and editability, every REST operation
and schema, every CLI verb and option, every service and parser rule; and the hand-written
state table lists exactly the task states."""

from __future__ import annotations

import argparse
import importlib.util
import re
from pathlib import Path

from app.cli.command import build_parser
from app.core import jobspec, states
from app.parsers import PARSERS
from app.parsers.table import TableParser
from app.server.routes import OPENAPI
from app.services import SERVICES

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("references", ROOT / "docs/hooks/references.py")
references = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(references)


def section(page: str, title: str) -> str:
    """The text of a page's section from the heading `title` to the next heading of its level."""
    level = re.match(r"#+", title).group(0)
    start = page.index(title + "\n")
    end = page.find(f"\n{level} ", start + len(title))
    return page[start : end if end != -1 else len(page)]


def rows(text: str) -> dict[str, list[str]]:
    """A Markdown table's rows by their first cell's code, with their other cells."""
    out = {}
    for line in text.splitlines():
        match = re.match(r"\| `([^`]+)` \|(.*)\|$", line)
        if match:
            out[match.group(1)] = [cell.strip() for cell in match.group(2).split(" | ")]
    return out


def test_job_reference_has_every_key_with_its_limits_and_default():
    job = jobspec.job_schema()
    block = job["properties"]["blocks"]["items"]
    task = block["properties"]["tasks"]["items"]
    # a job with one block of one task, every other key left out: the parser's defaults
    parsed = jobspec.parse_job({"blocks": [{"name": "b", "tasks": [{"command": "echo"}]}]})
    page = references.job_json_page()
    for title, schema, made, editable in (
        ("## Job", job, parsed, jobspec.JOB_EDITABLE),
        ("## Block", block, parsed.blocks[0], jobspec.BLOCK_EDITABLE),
        ("## Task", task, parsed.blocks[0].tasks[0], None),
    ):
        table = rows(section(page, title))
        assert set(table) == set(schema["properties"]), title
        for key, sub in schema["properties"].items():
            meaning, kind, default, *edit = table[key]
            assert meaning == references._cell(references._prose(sub["description"])), key
            assert not kind.startswith("`"), (key, kind)  # said in words, not a raw schema
            if key not in ("blocks", "tasks"):
                assert kind == references._cell(references.schema_type(sub)), key
            if key in schema.get("required", ()):
                assert default == "`required`", key
            elif key in ("name", "command", "tasks"):
                continue  # given above
            elif hasattr(made, key):
                value = getattr(made, key)
                value = list(value) if isinstance(value, tuple) else value
                assert default == f"`{references.json.dumps(value)}`", key
            if editable is not None:
                assert edit == ["yes" if key in editable else "no"], key
    assert rows(section(page, "## Task"))["name"][2] == '`""`'  # Afanasy's tasks may be unnamed


def test_rest_reference_has_every_operation_and_schema():
    page = references.rest_api_page()
    headings = re.findall(r"^### `(\w+) (\S+)`$", page, re.M)
    operations = [(m.upper(), p) for p, ms in OPENAPI["paths"].items() for m in ms]
    assert headings == operations
    for path, methods in OPENAPI["paths"].items():
        for method, op in methods.items():
            text = section(page, f"### `{method.upper()} {path}`")
            assert (
                references._prose(op["summary"]) in text and f"**{op['x-corral-access']}**" in text
            )
            assert re.findall(r"^\| (\d{3}) \|", text, re.M) == list(op["responses"])
            for parameter in op.get("parameters", ()):
                assert f"| `{parameter['name']}` | {parameter['in']} |" in text
    schemas = re.findall(r"^### (\w+) \{#schema-", page, re.M)
    assert schemas == list(OPENAPI["components"]["schemas"])


def test_cli_reference_has_every_verb_and_option():
    page = references.cli_page()
    verbs = list(references.walk_parser(build_parser()))
    headings = re.findall(r"^## `(corral[^`]*)`$", page, re.M)
    assert headings == [" ".join(("corral", *words)) for words, _, _ in verbs]
    assert len(headings) > 40  # the sub-verbs too (job why, users add, server config ...)
    for words, parser, _ in verbs:
        text = section(page, f"## `{' '.join(('corral', *words))}`")
        assert parser.format_usage().strip() in text
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction | argparse._HelpAction):
                continue
            for option in action.option_strings:
                assert re.search(f"`{re.escape(option)}[ `]", text), (words, option)


def test_services_reference_has_every_service_option_and_parser_rule():
    services, parsers = references.services_page().split("\n## Parsers\n")
    for name, cls, _ in SERVICES.items():
        text = section(services, f"### `{name}`")
        assert references._prose(cls.description) in text
        for option in cls.options:
            assert f"| `{option}` |" in text
    for name, cls, _ in PARSERS.items():
        text = section(parsers, f"### `{name}`")
        if issubclass(cls, TableParser):
            for rule in cls.__dict__.get("table", ()):
                assert references._code(rule.pattern) in text, (name, rule)


def test_the_concepts_state_table_lists_exactly_the_task_states():
    text = (ROOT / "docs/concepts/jobs.md").read_text()
    table = section(text, "## Task states")
    assert re.findall(r"^\| `([A-Z]{3})` \|", table, re.M) == list(states.CODES)
