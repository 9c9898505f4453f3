"""CloudWatch Logs exports → invocations (``format: cloudwatch_logs``, ``lambdasim import logs``).

Every expected number is recomputed here from the files themselves (gzip + json + a regex on
the REPORT lines), independently of the parser: the CIRRUS 2025 logs (tests/data/cirrus2025-logs,
MIT) and variants of them written in the other export formats.
"""

from __future__ import annotations

import csv
import gzip
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

import lambdasim as ls
from lambdasim.cli import app
from lambdasim.workload.observed import level_stats, observed_summary, window
from lambdasim.workload.traces import TraceError, read_logs
from tests.conftest import ROOT

pytestmark = pytest.mark.unit

CIRRUS = ROOT / "tests" / "data" / "cirrus2025-logs"
RUNS = (1, 6, 12, 20)
runner = CliRunner()


def _events(n: int) -> list[dict[str, Any]]:
    with gzip.open(CIRRUS / f"aws_{n}_cloudwatch.json.gz", "rt", encoding="utf-8") as f:
        ev: list[dict[str, Any]] = json.load(f)
    return ev


def _first(pattern: str, text: str) -> str:
    m = re.search(pattern, text)
    assert m is not None, (pattern, text)
    return m.group(1)


def _truth(events: list[dict[str, Any]]) -> dict[str, Any]:
    """What the REPORT lines say, by a regex of this test (not the parser's)."""
    rep = [e["message"] for e in events if e["message"].startswith("REPORT")]
    rid = r"RequestId: (\S+)"
    starts = {_first(rid, e["message"]) for e in events if e["message"].startswith("START")}
    ids = {_first(rid, m) for m in rep}
    init = [float(_first(r"Init Duration: ([\d.]+) ms", m)) for m in rep if "Init Duration" in m]
    return {
        "invocations": len(rep),
        "streams": len({e["logStreamName"] for e in events}),
        "billed_ms": sum(int(_first(r"Billed Duration: (\d+) ms", m)) for m in rep),
        "init_ms": sorted(init),
        "unfinished": len(starts - ids),
        "durations": sorted(float(_first(r"\tDuration: ([\d.]+) ms", m)) for m in rep),
    }


@pytest.mark.parametrize("n", RUNS)
def test_cirrus_logs_read_as_their_report_lines_say(n: int) -> None:
    t = _truth(_events(n))
    logs = read_logs(CIRRUS / f"aws_{n}_cloudwatch.json.gz")
    assert len(logs) == t["invocations"]
    assert len(logs.streams) == t["streams"]
    assert int(logs.billed_ms.sum()) == t["billed_ms"]
    assert sorted(logs.init_ms[logs.cold].tolist()) == t["init_ms"]
    assert logs.unfinished == t["unfinished"]
    assert sorted(logs.duration_ms.tolist()) == t["durations"]
    assert set(logs.memory_mb.tolist()) == {1769}
    assert logs.malformed.count == 0
    assert np.all(np.diff(logs.arrival_s) >= 0)
    # GB-s exactly as AWS bills: Σ billed ms × 1769 MB / 1,024,000
    o, h = window(logs)
    assert observed_summary(logs, o, h)["billed_gb_s"] == t["billed_ms"] * 1769 / 1_024_000


def test_arrival_is_start_less_init_and_end_is_end() -> None:
    ev = _events(6)
    logs = read_logs(CIRRUS / "aws_6_cloudwatch.json.gz")
    by_id: dict[str, dict[str, Any]] = {}
    for e in ev:
        m = re.match(r"(START|END|REPORT) RequestId: (\S+)", e["message"])
        if m:
            by_id.setdefault(m[2], {})[m[1]] = e
    i = int(np.flatnonzero(logs.cold)[0])
    rid = logs.request_id[i]
    init = float(_first(r"Init Duration: ([\d.]+)", by_id[rid]["REPORT"]["message"]))
    assert logs.arrival_s[i] == pytest.approx(by_id[rid]["START"]["timestamp"] / 1000 - init / 1000)
    assert logs.end_s[i] == by_id[rid]["END"]["timestamp"] / 1000


def _iso(ms: int, sep: str = "T") -> str:
    d = datetime.fromtimestamp(ms / 1000, tz=UTC)
    return d.strftime(f"%Y-%m-%d{sep}%H:%M:%S.") + f"{ms % 1000:03d}"


def _write_variants(tmp: Path, ev: list[dict[str, Any]]) -> dict[str, list[Path]]:
    half = len(ev) // 2
    pages = tmp / "pages.json"  # filter-log-events, two pages concatenated
    pages.write_text(
        json.dumps({"events": ev[:half], "nextToken": "x"}, indent=1)
        + "\n"
        + json.dumps({"events": ev[half:], "searchedLogStreams": []}, indent=1)
    )
    listed = tmp / "list-of-pages.json"
    listed.write_text(json.dumps([{"events": ev[:half]}, {"events": ev[half:]}]))
    csvf = tmp / "insights.csv"
    with csvf.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["@timestamp", "@message", "@logStream", "@log"])
        for e in ev:
            w.writerow(
                [
                    _iso(e["timestamp"], " "),
                    e["message"],
                    e["logStreamName"],
                    "123456789012:/aws/lambda/cirrus",
                ]
            )
    query = tmp / "query.json"
    rows = [
        [
            {"field": "@timestamp", "value": _iso(e["timestamp"], " ")},
            {"field": "@message", "value": e["message"]},
            {"field": "@logStream", "value": e["logStreamName"]},
        ]
        for e in ev
    ]
    query.write_text(json.dumps({"results": rows, "status": "Complete"}))
    text = tmp / "tail.txt"  # `aws logs tail` style: timestamp, stream, message
    text.write_text(
        "".join(
            f"{_iso(e['timestamp'])}000+00:00 {e['logStreamName']} {e['message'].rstrip()}\n"
            for e in ev
        )
    )
    gz = tmp / "pages.json.gz"
    gz.write_bytes(gzip.compress(pages.read_bytes()))
    return {
        "pages": [pages],
        "list": [listed],
        "csv": [csvf],
        "query": [query],
        "text": [text],
        "gzip": [gz],
    }


@pytest.mark.parametrize("fmt", ["pages", "list", "csv", "query", "text", "gzip"])
def test_every_export_format_gives_the_same_invocations(tmp_path: Path, fmt: str) -> None:
    ev = _events(6)
    t = _truth(ev)
    files = _write_variants(tmp_path, ev)[fmt]
    logs = read_logs(files)
    assert len(logs) == t["invocations"]
    assert int(logs.billed_ms.sum()) == t["billed_ms"]
    assert len(logs.streams) == t["streams"]
    assert sorted(logs.init_ms[logs.cold].tolist()) == t["init_ms"]
    assert logs.malformed.count == 0
    ref = read_logs(CIRRUS / "aws_6_cloudwatch.json.gz")
    np.testing.assert_allclose(logs.arrival_s, ref.arrival_s, atol=1e-6)


def test_json_log_format_platform_records(tmp_path: Path) -> None:
    # Lambda's JSON log format: platform.start / platform.report records (Telemetry API schema)
    rec = [
        {
            "time": "2025-05-12T20:00:00.000Z",
            "type": "platform.initStart",
            "record": {"runtimeVersion": "python:3.12.v16"},
        },
        {
            "time": "2025-05-12T20:00:00.300Z",
            "type": "platform.start",
            "record": {"requestId": "a"},
        },
        {
            "time": "2025-05-12T20:00:00.450Z",
            "type": "platform.report",
            "record": {
                "requestId": "a",
                "status": "success",
                "metrics": {
                    "durationMs": 150.25,
                    "billedDurationMs": 151,
                    "memorySizeMB": 512,
                    "maxMemoryUsedMB": 60,
                    "initDurationMs": 290.5,
                },
            },
        },
        {
            "time": "2025-05-12T20:00:01.000Z",
            "type": "platform.start",
            "record": {"requestId": "b"},
        },
        {
            "time": "2025-05-12T20:00:01.100Z",
            "type": "platform.report",
            "record": {
                "requestId": "b",
                "metrics": {
                    "durationMs": 99.0,
                    "billedDurationMs": 99,
                    "memorySizeMB": 512,
                    "maxMemoryUsedMB": 61,
                },
            },
        },
    ]
    events = [
        {"timestamp": 1747080000000 + i, "message": json.dumps(r), "logStreamName": "s1"}
        for i, r in enumerate(rec)
    ]
    p = tmp_path / "json-format.json"
    p.write_text(json.dumps(events))
    logs = read_logs(p)
    assert len(logs) == 2 and logs.runtime == "python3.12"
    assert logs.billed_ms.tolist() == [151, 99] and logs.init_ms[0] == 290.5
    start_a = datetime(2025, 5, 12, 20, 0, 0, 300000, tzinfo=UTC).timestamp()
    assert logs.arrival_s[0] == pytest.approx(start_a - 0.2905)


def test_malformed_events_are_counted_with_file_and_line(tmp_path: Path) -> None:
    ev = _events(1)
    bad = [
        {"timestamp": "yesterday", "message": "START RequestId: x Version: $LATEST\n"},
        {"timestamp": 1747081446999, "logStreamName": "s"},
        {"timestamp": 1747081447000, "message": "REPORT RequestId: y\tBilled Duration: 5 ms\t"},
    ]
    doc = ev[:10] + bad + ev[10:]
    p = tmp_path / "broken.json"
    p.write_text(json.dumps(doc, indent=2))
    text = p.read_text()
    # the line each injected event starts on, found here by searching the text
    lines = [
        text[: text.index(needle)].rfind("{")
        for needle in ('"yesterday"', '"s"\n', "REPORT RequestId: y")
    ]
    want = [text.count("\n", 0, off) + 1 for off in lines]
    logs = read_logs(p)
    assert logs.malformed.count == 3
    assert [int(s.split(":")[1]) for s in logs.malformed.first] == want
    assert all(s.startswith(f"{p}:") for s in logs.malformed.first)
    assert len(logs) == _truth(ev)["invocations"]


def test_truncated_json_keeps_what_came_before(tmp_path: Path) -> None:
    ev = _events(1)
    text = json.dumps(ev, indent=2)
    cut = text.index("REPORT", len(text) // 2)
    p = tmp_path / "cut.json"
    p.write_text(text[:cut])
    logs = read_logs(p)
    # the events complete before the cut, parsed here by closing the list after the last one
    last = text[:cut].rfind("\n  },")
    complete = json.loads(text[:last] + "\n  }\n]")
    n_complete = sum(1 for e in complete if e["message"].startswith("REPORT"))
    assert len(logs) == n_complete
    assert logs.malformed.count == 1 and "truncated" in logs.malformed.first[0]


def test_bad_files_are_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "none.json").write_text(
        json.dumps([{"timestamp": 1747081446154, "message": "hello\n"}])
    )
    (tmp_path / "bin.json").write_bytes(b"\x00\x01binary")
    (tmp_path / "broken.json").write_text("[{oops")
    for name, what in (
        ("none.json", "no REPORT"),
        ("bin.json", "binary"),
        ("broken.json", "not valid JSON"),
        ("missing.json", "not found"),
    ):
        with pytest.raises(TraceError, match=what):
            read_logs(tmp_path / name)


def test_trace_replay_yields_the_logged_arrivals_and_durations() -> None:
    path = CIRRUS / "aws_6_cloudwatch.json.gz"
    logs = read_logs(path)
    origin, _ = window(logs)
    spec = ls.workload.trace(
        path, format="cloudwatch_logs", origin=datetime.fromtimestamp(origin, tz=UTC)
    )
    from lambdasim.workload.traces import trace_events

    blocks = list(trace_events(spec, path, np.random.default_rng(0)))
    t = np.concatenate([b.times for b in blocks])
    d = np.concatenate([b.durations for b in blocks if b.durations is not None])
    assert t.size == _truth(_events(6))["invocations"]
    np.testing.assert_allclose(d, logs.duration_ms / 1000)
    assert t[0] >= 0.0


def test_level_stats_integrates_exactly() -> None:
    # [0,2), [1,1.5), [1.5,3) on periods of 1 s: by hand, means 1, 2, 1, 0; maxima 1, 2, 1, 0
    mean, mx, total, peak = level_stats(
        np.array([0.0, 1.0, 1.5]), np.array([2.0, 1.5, 3.0]), np.arange(5.0)
    )
    assert mean.tolist() == [1.0, 2.0, 1.0, 0.0] and mx.tolist() == [1.0, 2.0, 1.0, 0.0]
    assert total == 1.0 and peak == 2.0


def test_import_logs_writes_a_scenario_with_placeholders(tmp_path: Path) -> None:
    out = tmp_path / "s.yaml"
    src = CIRRUS / "aws_6_cloudwatch.json.gz"
    r = runner.invoke(app, ["import", "logs", str(src), "--function", "cirrus", "-o", str(out)])
    assert r.exit_code == 0, r.output
    sc = ls.load(out)
    fn = sc.functions["cirrus"]
    assert fn.memory_mb == 1769 and sc.pricing.table == "aws-lambda@2025-06"
    v = runner.invoke(app, ["validate", str(out)])
    assert v.exit_code == 0
    flagged = re.findall(r"(functions\.cirrus\.\S+|workloads\.0\.\S+): placeholder", v.output)
    assert set(flagged) == {
        "functions.cirrus.timeout_s",
        "functions.cirrus.cold_start",
        "workloads.0.invocation",
    }
    # setting the values (deleting the markers) silences the warnings
    out.write_text(re.sub(r"  # PLACEHOLDER:.*", "", out.read_text()))
    assert "placeholder" not in runner.invoke(app, ["validate", str(out)]).output


def test_import_logs_reports_malformed_lines_and_bad_input(tmp_path: Path) -> None:
    p = tmp_path / "tail.txt"
    good = [
        f"2025-05-12T20:24:0{i}.000Z 2025/05/12/[$LATEST]abc REPORT RequestId: r{i}\t"
        f"Duration: 10.0 ms\tBilled Duration: 10 ms\tMemory Size: 128 MB\t"
        f"Max Memory Used: 30 MB\t"
        for i in range(3)
    ]
    p.write_text(
        "\n".join([good[0], "2025-05-12T20:24:05.000Z x REPORT RequestId: z\tDuration:", *good[1:]])
        + "\n"
    )
    r = runner.invoke(
        app, ["import", "logs", str(p), "--function", "f", "-o", str(tmp_path / "o.yaml")]
    )
    assert r.exit_code == 0, r.output
    assert f"{p}:2: a REPORT without" in r.output
    assert "on_bad_row: skip" in (tmp_path / "o.yaml").read_text()
    bad = runner.invoke(app, ["import", "logs", str(tmp_path / "nope.json"), "--function", "f"])
    assert bad.exit_code == 2 and "not found" in bad.output and "Traceback" not in bad.output
    name = runner.invoke(app, ["import", "logs", str(p), "--function", "bad name!"])
    assert name.exit_code == 2


def test_insights_discovered_fields_without_messages(tmp_path: Path) -> None:
    # `filter @type = "REPORT" | fields @timestamp, @requestId, @duration, ...`: Logs Insights
    # gives memory in bytes there (10^6 per MB, as the Lambda Operator Guide's queries divide)
    p = tmp_path / "fields.csv"
    p.write_text(
        "@timestamp,@type,@requestId,@duration,@billedDuration,@memorySize,@maxMemoryUsed,"
        "@initDuration,@logStream\n"
        "2025-05-12 20:00:00.500,REPORT,a,150.5,151,512000000,60000000,300.2,s1\n"
        "2025-05-12 20:00:01.200,REPORT,b,99.9,100,512000000,61000000,,s1\n"
    )
    logs = read_logs(p)
    assert logs.billed_ms.tolist() == [151, 100] and logs.memory_mb.tolist() == [512, 512]
    assert logs.max_memory_mb.tolist() == [60.0, 61.0] and int(logs.cold.sum()) == 1
    t0 = datetime(2025, 5, 12, 20, 0, 0, 500000, tzinfo=UTC).timestamp()
    assert logs.arrival_s[0] == pytest.approx(t0 - (150.5 + 300.2) / 1000)
