"""The policy suite: driftline against never / periodic / always / always_finetune everywhere.

Replays Elec2 and eight seeded synthetic streams (``driftline.backtest.streams``: river's
SEA, Agrawal, rotating hyperplane and RBF with moving centroids; a pure covariate and a
pure label-prior shift; Friedman regression with recurring abrupt drift; a stationary
stream) under three label regimes (delay 1, delay 4, labels for 20 % of the rows), with
the same validation, drift, policy, training and gate code as the DAGs
(:func:`driftline.backtest.run_suite`). Prints the per-case table, the summary, the
targets of issue 15 and the per-case policy tables; writes them, with the chart, to
``benchmarks/out/policy_suite/`` (``--out``). Exits 1 when a target is missed with
``--check``.

Usage::

    python benchmarks/policy_suite.py                      # everything (about an hour on 2 cores)
    python benchmarks/policy_suite.py --streams sea,elec2 --regimes "delay 1"
    python benchmarks/policy_suite.py --chart docs/img/policy_suite.png
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
import warnings
from pathlib import Path

from driftline.backtest import REGIMES, STREAMS, run_suite

OUT = Path(__file__).resolve().parent / "out" / "policy_suite"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--streams", default=",".join(STREAMS))
    ap.add_argument("--regimes", default=",".join(REGIMES))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-validate", action="store_true")
    ap.add_argument("--out", default=str(OUT))
    ap.add_argument("--chart", help="also copy the chart to this path")
    ap.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = ap.parse_args(argv)
    warnings.filterwarnings("ignore", category=UserWarning)
    t0 = time.perf_counter()
    suite = run_suite(
        [s for s in args.streams.split(",") if s],
        [r for r in args.regimes.split(",") if r],
        seed=args.seed,
        validate=not args.no_validate,
        progress=lambda line: print(line, file=sys.stderr, flush=True),
    )
    paths = suite.save(args.out)
    if args.chart:
        Path(args.chart).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(paths["chart"], args.chart)
    print(suite.to_markdown())
    print()
    print(suite.policy_tables())
    print(f"wall time {time.perf_counter() - t0:.0f} s; files in {args.out}")
    ok = all(met for _, _, met in suite.targets())
    return 0 if ok or not args.check else 1


if __name__ == "__main__":
    raise SystemExit(main())
