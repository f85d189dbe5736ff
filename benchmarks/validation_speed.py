"""Time driftline.validation.validate on a 10k-row, 8-column batch (cold and warm)."""

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path("tests").resolve().parent))
from tests.driftline.validation.conftest import make_frame  # noqa: E402

t0 = time.perf_counter()
from driftline.validation import DataContract, Validator, conform, validate  # noqa: E402

t_import = time.perf_counter() - t0
ref = make_frame(10_000, seed=0)
contract = DataContract.infer(ref, target="label", timestamp="ts", name="bench")
batch = make_frame(10_000, seed=1, start="2026-01-01")
tmp = Path(tempfile.mkdtemp())
batch.to_csv(tmp / "b.csv", index=False)
batch.to_parquet(tmp / "b.parquet")


def timed(fn, n=9):
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return min(out), statistics.median(out)


t = time.perf_counter()
r = validate(batch, contract, batch_id="cold")
t_cold = time.perf_counter() - t
assert r.passed, r.summary()
v = Validator.for_contract(contract)
frame, _ = conform(batch, contract)
rows = [
    ("first validate (GX import + context + suite)", (t_cold, t_cold)),
    ("conform only (DataFrame)", timed(lambda: conform(batch, contract))),
    ("GX checkpoint run only", timed(lambda: v.run(frame, "x"))),
    ("validate(DataFrame), warm", timed(lambda: validate(batch, contract, batch_id="w"))),
    ("validate(CSV file), warm", timed(lambda: validate(tmp / "b.csv", contract, batch_id="w"))),
    (
        "validate(Parquet file), warm",
        timed(lambda: validate(tmp / "b.parquet", contract, batch_id="w")),
    ),
    (
        "validate(DataFrame) + Data Docs, warm",
        timed(lambda: validate(batch, contract, batch_id="w", docs_dir=tmp / "docs")),
    ),
]
print(f"10,000 rows x 8 columns, {v.n_checks} expectations; warm rows: 9 repeats")
print(f"{'step':<48} {'min s':>7} {'median s':>9}")
for name, (lo, med) in rows:
    print(f"{name:<48} {lo:7.3f} {med:9.3f}")
