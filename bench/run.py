"""katana-sn-mcp benchmarks: prints a report and writes it as JSON.

    .venv/bin/python bench/run.py            # full run
    .venv/bin/python bench/run.py --quick    # one run each (CI smoke)

Targets are reported, never asserted: timings belong here, not in unit tests.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.result_sizes import result_sizes
from bench.scenarios import burst, call_overhead, economy, scale
from bench.stdio_probe import probe

KEY_ENV = {"KATANA_API_KEY": "bench-key", "KATANA_BASE_URL": "http://127.0.0.1:9/v1"}


def cold_start(runs: int) -> dict:
    ours, floor = [], []
    for _ in range(runs):  # interleaved so drift affects both alike
        ours.append(probe(["-m", "katana_sn_mcp", "--no-journal"], KEY_ENV))
        floor.append(probe(["bench/floor_server.py"]))
    med = statistics.median
    o, f = med(p.seconds for p in ours), med(p.seconds for p in floor)
    return {
        "runs": runs, "ours_s": round(o, 4), "floor_s": round(f, 4),
        "ratio": round(o / f, 3), "target_ratio": 1.15,
        "ours_vm_hwm_mib": round(max(p.vm_hwm_kib for p in ours) / 1024, 1),
        "floor_vm_hwm_mib": round(max(p.vm_hwm_kib for p in floor) / 1024, 1),
        "target_vm_hwm_mib": 80,
        "tools_list_bytes": ours[0].tools_list_bytes, "target_tools_list_bytes": 12 * 1024,
    }


def main() -> None:
    import logging

    logging.basicConfig(level=logging.WARNING)  # before the SDK configures INFO on import
    logging.getLogger("httpx").setLevel(logging.WARNING)
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="one run each, small sizes")
    ap.add_argument("--out", type=Path, default=Path("bench/report.json"))
    args = ap.parse_args()
    q = args.quick
    report = {
        "cold_start": cold_start(1 if q else 9),
        "call_overhead": call_overhead(5 if q else 25),
        "http_economy": economy([10] if q else [10, 1000, 10000]),
        "burst": burst(20 if q else 120, window_s=0.5 if q else 2.0),
        "scale": scale(200 if q else 5000),
        "result_bytes": result_sizes([3, 100] if q else [3, 100, 1000, 10_000]),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    for section, values in report.items():
        print(f"\n[{section}]")
        if isinstance(values, list):
            for row in values:
                print("  " + ", ".join(f"{k}={v}" for k, v in row.items()))
        else:
            for k, v in values.items():
                print(f"  {k:28} {v}")
    print(f"\nreport written to {args.out}")


if __name__ == "__main__":
    main()
