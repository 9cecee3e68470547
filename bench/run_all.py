"""Run the benchmarks in sequence on scratch databases and print one table against the targets.

Runs bench/ingest.py, bench/gateway.py, bench/gate_scans.py, bench/http_ingest.py and bench/live_push.py
(each creates and drops its own scratch database on TEST_DATABASE_URL, else PostgreSQL on 127.0.0.1:5432),
collects the JSON each writes, and writes them together to bench/results/<UTC time>.json. Usage:

    .venv/bin/python bench/run_all.py [--gateway-args "--terminals 5000 --rate 10000"] [--only gateway]
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


@dataclass(frozen=True, slots=True)
class Bench:
    """One benchmark script and the arguments that make it finish in about a minute."""

    name: str
    script: str
    args: tuple[str, ...]


BENCHES = (
    Bench("ingest", "ingest.py", ("--fixes", "50000", "--devices", "1000")),
    # The target load, 5,000 terminals and 10,000 reports/s, offered 10 % above it so that a window's
    # edges cannot read a gateway that keeps up as one that falls short; about a minute in all.
    Bench("gateway", "gateway.py", ("--terminals", "5000", "--rate", "11000", "--duration", "20")),
    Bench("gate_scans", "gate_scans.py", ("--scans", "1000")),
    # 8 clients POSTing 200 batches of 500 fixes of 1,000 devices to the API in its own process
    Bench("http_ingest", "http_ingest.py", ("--batches", "200", "--batch-size", "500", "--clients", "8")),
    # 1,000 SSE subscribers of one waybill, 5 fixes/s through the HTTP endpoint for 20 s
    Bench("live_push", "live_push.py", ("--subscribers", "1000", "--rate", "5", "--duration", "20")),
)


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the summary: a measured value and the target it is held against."""

    bench: str
    metric: str
    key: str
    target: str
    met: Callable[[float], bool] | None = None


ROWS = (
    Row("ingest", "pipeline fixes/s", "fixes_per_s", "-"),
    Row("ingest", "submit→commit p99 ms", "submit_p99_ms", "-"),
    Row("ingest", "fixes lost", "lost", "0", lambda v: v == 0),
    Row("gateway", "terminals", "terminals", "5,000", lambda v: v >= 5_000),
    Row("gateway", "reports sent/s", "sent_per_s", "-"),
    Row("gateway", "reports acked/s", "acked_per_s", "≥ 10,000", lambda v: v >= 10_000),
    Row("gateway", "ack p50 ms", "ack_latency_ms_p50", "-"),
    Row("gateway", "ack p99 ms", "ack_latency_ms_p99", "≤ 250", lambda v: v <= 250),
    Row("gateway", "reports lost", "lost", "0", lambda v: v == 0),
    Row("gateway", "gateway processes", "gateway_procs", "-"),
    Row("gateway", "bare COPY rows/s", "bare_copy_rows_per_s", "-"),
    Row("gateway", "acked/s ÷ bare COPY", "fraction_of_bare_copy", "-"),
    Row("gate_scans", "scan p50 ms", "latency_ms_p50", "-"),
    Row("gate_scans", "scan p99 ms", "latency_ms_p99", "-"),
    Row("http_ingest", "http fixes/s", "fixes_per_s", "-"),
    Row("http_ingest", "http batch p99 ms", "batch_p99_ms", "-"),
    Row("http_ingest", "http fixes lost", "lost", "0", lambda v: v == 0),
    Row("live_push", "live subscribers", "subscribers", "1,000", lambda v: v >= 1_000),
    Row("live_push", "push after ack p50 ms", "push_p50_ms", "-"),
    Row("live_push", "push after ack p99 ms", "push_p99_ms", "-"),
    Row("live_push", "push after send p99 ms", "push_from_send_p99_ms", "-"),
    Row("live_push", "live deliveries missed", "deliveries_missing", "0", lambda v: v == 0),
)


def run(bench: Bench, extra: list[str], out: Path) -> dict[str, Any] | None:
    """Run one script with --json; its results, or None when it failed."""
    cmd = [sys.executable, str(HERE / bench.script), *bench.args, *extra, "--json", str(out)]
    print(f"\n• {bench.name}: {shlex.join(cmd[1:])}", flush=True)
    started = time.monotonic()
    # the command is this folder's own scripts with arguments this run chose
    code = subprocess.call(cmd)  # noqa: S603
    print(f"  {bench.name} finished in {time.monotonic() - started:.0f} s (exit {code})", flush=True)
    if code != 0 or not out.is_file():
        return None
    data: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return data


def table(results: dict[str, dict[str, Any] | None]) -> str:
    """The summary table: bench, metric, measured, target, whether it is met."""
    lines = [("bench", "metric", "measured", "target", "")]
    for row in ROWS:
        if row.bench not in results:
            continue
        data = results[row.bench]
        value = None if data is None else data.get(row.key)
        if isinstance(value, int | float):
            shown = f"{value:,.0f}" if abs(value) >= 100 or float(value).is_integer() else f"{value:.2f}"
            verdict = "" if row.met is None else ("ok" if row.met(float(value)) else "MISSED")
        else:
            shown, verdict = ("failed" if data is None else "-"), ""
        lines.append((row.bench, row.metric, shown, row.target, verdict))
    widths = [max(len(line[i]) for line in lines) for i in range(5)]
    out = []
    for n, line in enumerate(lines):
        cells = [
            c.rjust(w) if i == 2 else c.ljust(w) for i, (c, w) in enumerate(zip(line, widths, strict=True))
        ]
        out.append("| " + " | ".join(cells) + " |")
        if n == 0:
            out.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(out)


def main() -> int:
    """Run the chosen benchmarks, print the table, write the combined JSON."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--gateway-args", default="", help="extra arguments for bench/gateway.py")
    parser.add_argument("--only", action="append", choices=[b.name for b in BENCHES], help="run only these")
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    results: dict[str, dict[str, Any] | None] = {}
    for bench in BENCHES:
        if args.only and bench.name not in args.only:
            continue
        extra = shlex.split(args.gateway_args) if bench.name == "gateway" else []
        results[bench.name] = run(bench, extra, RESULTS / f"{stamp}-{bench.name}.json")
    summary = RESULTS / f"{stamp}.json"
    summary.write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
    print("\n" + table(results))
    print(f"\nresults: {summary}")
    return 0 if all(r is not None for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
