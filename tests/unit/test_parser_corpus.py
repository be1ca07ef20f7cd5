"""The parsers over the corpus of real output (tests/fixtures/parser_corpus, scored by
bench/parser_accuracy.py): accuracy per check, a floor for the whole and no regression of a log
that was read right."""

from app.parsers import PARSERS
from app.services.registry import get_service, service_names
from bench.parser_accuracy import (
    CHECKS,
    CORPUS,
    accuracy,
    baseline,
    cases,
    corral_reading,
    passing,
    score,
)

GATE = 0.95  # overall share of right checks (all logs, all checks, every way of feeding)
PUBLIC_LOGS = 150  # logs taken from public sources, besides the recordings made here

# Services without any real output in the corpus, and why. A log for one of them must take it
# off this list (the test below fails while a covered service is still listed).
UNCOVERED = {
    "redshift": "no public output of Redshift's own command-line renderer was found; the "
    "Redshift parser is read through maya_redshift, hbatch_redshift and c4d logs",
    "xsi": "Softimage was discontinued in 2014; no public batch render output was found",
    "xsi_arnold": "no public Softimage output was found (see xsi)",
    "xsi_redshift": "no public Softimage output was found (see xsi)",
}


def test_accuracy_reaches_the_gate_and_no_log_regresses():
    results = score(corral_reading)
    table = accuracy(results)
    print(" ".join(f"{check}={table[check]:.3f}" for check in (*CHECKS, "overall")))
    regressed = sorted(baseline() - set(passing(results)))
    assert not regressed, f"logs read right before, wrong now: {regressed}"
    assert table["overall"] >= GATE, table


def test_index_describes_every_log():
    entries = cases()
    listed = [entry["log"] for entry in entries]
    assert len(listed) == len(set(listed))
    on_disk = sorted(str(path.relative_to(CORPUS)) for path in CORPUS.glob("*/*.log"))
    assert sorted(listed) == on_disk
    for entry in entries:
        assert entry["source"] and entry["licence"], entry["log"]
        assert entry["kind"] in ("public", "recorded"), entry["log"]
        assert get_service(entry["service"]).name == entry["service"], entry["log"]
        expect = entry["expect"]
        assert set(expect) == set(CHECKS), entry["log"]
        assert (expect["outcome"] == "failed") == bool(expect["errors"]), entry["log"]
    assert sum(entry["kind"] == "public" for entry in entries) >= PUBLIC_LOGS
    assert baseline() <= set(listed)


def test_every_service_and_parser_has_real_output():
    services = {entry["service"] for entry in cases()}
    assert set(UNCOVERED) <= set(service_names())
    assert not set(UNCOVERED) & services, "a covered service is still listed as uncovered"
    assert set(service_names()) - set(UNCOVERED) <= services
    parsers = {get_service(name).parser for name in services}
    excused = {get_service(name).parser for name in UNCOVERED}
    built_in = {cls.name for _, cls, source in PARSERS.items() if source == "built-in"}
    assert built_in - {"none"} - excused <= parsers
