"""Self-contained HTML page of a :class:`~driftline.drift.report.DriftReport`.

One file with inline CSS and plots as inline base64 PNG (matplotlib, Agg canvas): the
decision, kinds and severity; effect sizes ranked (bar chart); for each drifted column and
the top-k columns the reference and current distributions (density and ECDF overlay for
numeric columns, bar pairs for categorical ones); and a table of all columns. No external
resource is referenced, so the page can be stored as an artifact and opened offline.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Mapping
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from driftline.drift.profile import ReferenceProfile
from driftline.drift.report import ColumnDrift, DriftReport
from driftline.drift.sketches import CategoricalSummary, NumericSummary
from driftline.errors import DataError, fail

REF_COLOR = "#4c72b0"
CUR_COLOR = "#dd8452"
DRIFT_COLOR = "#c44e52"
OK_COLOR = "#8c8c8c"

_CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2em;color:#222}
h1{margin-bottom:.2em}.muted{color:#666}.badge{display:inline-block;padding:.2em .7em;
border-radius:1em;color:#fff;font-weight:600}.drift{background:#c44e52}.ok{background:#55a868}
.sev-severe{background:#8b1a1a}.sev-moderate{background:#dd8452}.sev-none{background:#8c8c8c}
table{border-collapse:collapse;margin:1em 0;font-size:.9em}th,td{border:1px solid #ddd;
padding:.3em .6em;text-align:right}th{background:#f4f4f4}td.l,th.l{text-align:left}
tr.drifted td{background:#fbeaea}.cols{display:flex;flex-wrap:wrap;gap:1em}
.card{border:1px solid #ddd;border-radius:.5em;padding:.5em 1em}img{max-width:100%}
"""


def render_html(
    report: DriftReport,
    profile: ReferenceProfile | None = None,
    current: Any = None,
    *,
    top_k: int = 6,
    title: str = "Driftline drift report",
) -> str:
    """Render ``report`` as one self-contained HTML page.

    ``profile`` (the reference) and ``current`` (the batch: DataFrame, Table or profile)
    enable the distribution plots of the drifted and the ``top_k`` largest-effect columns.

    >>> from driftline.drift.report import DriftReport
    >>> r = DriftReport(batch_id="b1", created_at="2025-01-01T00:00:00+00:00", alpha=0.05,
    ...                 correction="holm", is_drift=False, kinds=(), severity="none",
    ...                 max_effect=0.0, columns=(), n_reference=10, n_current=10)
    >>> page = render_html(r)
    >>> page.startswith("<!DOCTYPE html>") and "no drift" in page
    True
    """
    if not isinstance(report, DriftReport):
        raise DataError(fail(f"expected a DriftReport, got {type(report).__name__}", "pass one"))
    cur_profile = _current_profile(profile, current)
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{e(title)} – {e(str(report.batch_id))}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{e(title)}</h1>",
        f'<p class="muted">batch <b>{e(str(report.batch_id))}</b> · {e(report.created_at)} · '
        f"reference n = {report.n_reference:,} · current n = {report.n_current:,} · "
        f"alpha = {report.alpha:g} ({e(report.correction)} correction)</p>",
        _header(report),
    ]
    if report.notes:
        parts.append("<ul>" + "".join(f"<li>{e(n)}</li>" for n in report.notes) + "</ul>")
    if report.columns:
        parts.append("<h2>Effect sizes (ranked)</h2>")
        parts.append(_img(_effects_plot(report), "effect sizes"))
    chosen = [c for c in report.columns if c.drifted]
    chosen += [c for c in report.columns[:top_k] if not c.drifted]
    if profile is not None and cur_profile is not None and chosen:
        parts.append("<h2>Distributions: reference vs. current</h2><div class='cols'>")
        for col in chosen:
            fig = _column_plot(col, profile, cur_profile)
            if fig is not None:
                flag = " (drifted)" if col.drifted else ""
                parts.append(
                    f"<div class='card'><h3>{e(col.column)}{flag}</h3>{_img(fig, col.column)}</div>"
                )
        parts.append("</div>")
    parts.append("<h2>All columns</h2>")
    parts.append(_table(report.columns))
    if report.unseen_categories or report.vanished_categories:
        parts.append("<h2>Categories</h2><ul>")
        for col, levels in report.unseen_categories.items():
            parts.append(f"<li>{e(col)}: unseen {e(', '.join(levels[:30]))}</li>")
        for col, levels in report.vanished_categories.items():
            parts.append(f"<li>{e(col)}: vanished {e(', '.join(levels[:30]))}</li>")
        parts.append("</ul>")
    if report.extra_results:
        parts.append("<h2>Other results</h2><table><tr><th class='l'>method</th>")
        parts.append("<th>effect</th><th>p-value</th><th class='l'>drift</th></tr>")
        for r in report.extra_results:
            parts.append(
                f"<tr><td class='l'>{e(r.method)}</td><td>{e(r.effect_size_name)}="
                f"{r.effect_size:.4g}</td><td>{_p(r.p_value)}</td>"
                f"<td class='l'>{'yes' if r.is_drift else 'no'}</td></tr>"
            )
        parts.append("</table>")
    if report.windows.get("previous"):
        w = report.windows["previous"]
        parts.append(
            f"<h2>Against the previous batches</h2><p>{e(', '.join(map(str, w['batch_ids'])))}: "
            f"{'drift in ' + e(', '.join(w['drifted_columns'])) if w['is_drift'] else 'no drift'}"
            "</p>"
        )
    parts.append("</body></html>")
    return "\n".join(parts)


def _current_profile(profile: ReferenceProfile | None, current: Any) -> ReferenceProfile | None:
    if current is None or profile is None:
        return None
    if isinstance(current, ReferenceProfile):
        return current
    return ReferenceProfile.from_frame(current, like=profile)


def _header(report: DriftReport) -> str:
    if report.is_drift:
        decision = "<span class='badge drift'>DRIFT</span>"
        kinds = ", ".join(report.kinds)
        cols = ", ".join(html.escape(c) for c in report.drifted_columns)
        body = (
            f" kinds: <b>{html.escape(kinds)}</b> · severity "
            f"<span class='badge sev-{report.severity}'>{report.severity}</span> · "
            f"max effect {report.max_effect:.3g}<br>drifted columns: {cols or '–'}"
        )
    else:
        decision = "<span class='badge ok'>no drift</span>"
        body = f" severity <span class='badge sev-none'>none</span> · {len(report.columns)} columns"
    return f"<p style='font-size:1.2em'>{decision}{body}</p>"


def _p(v: float | None) -> str:
    return "–" if v is None else f"{v:.3g}"


def _table(columns: tuple[ColumnDrift, ...]) -> str:
    e = html.escape
    head = (
        "<table><tr><th>rank</th><th class='l'>column</th><th class='l'>role</th>"
        "<th class='l'>effect</th><th>value</th><th>floor</th><th>p-value</th>"
        "<th>corrected p</th><th class='l'>drifted</th><th class='l'>severity</th>"
        "<th class='l'>other effects</th></tr>"
    )
    rows = [head]
    for c in columns:
        other = ", ".join(f"{k}={v:.3g}" for k, v in c.effects.items() if k != c.effect_size_name)
        rows.append(
            f"<tr class='{'drifted' if c.drifted else ''}'><td>{c.rank}</td>"
            f"<td class='l'>{e(c.column)}</td><td class='l'>{e(c.role)}</td>"
            f"<td class='l'>{e(c.effect_size_name)}</td><td>{c.effect_size:.4f}</td>"
            f"<td>{c.floor:g}</td><td>{_p(c.p_value)}</td><td>{_p(c.p_value_corrected)}</td>"
            f"<td class='l'>{'yes' if c.drifted else 'no'}</td><td class='l'>{c.severity}</td>"
            f"<td class='l'>{e(other)}</td></tr>"
        )
    rows.append("</table>")
    return "".join(rows)


def _img(fig: Figure, alt: str) -> str:
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def _effects_plot(report: DriftReport, limit: int = 30) -> Figure:
    cols = list(report.columns[:limit])[::-1]
    fig = Figure(figsize=(7, 0.28 * len(cols) + 1.0))
    ax = fig.add_subplot()
    y = np.arange(len(cols))
    ax.barh(
        y,
        [c.effect_size for c in cols],
        color=[DRIFT_COLOR if c.drifted else OK_COLOR for c in cols],
    )
    ax.scatter([c.floor for c in cols], y, marker="|", color="black", s=120, label="floor")
    ax.set_yticks(y, [f"{c.column} ({c.effect_size_name})" for c in cols], fontsize=8)
    ax.set_xlabel("primary effect size (red: drifted)")
    ax.legend(loc="lower right", fontsize=8)
    return fig


def _summary(p: ReferenceProfile, col: ColumnDrift) -> Any:
    if col.role == "prediction":
        return p.predictions
    if col.role == "target":
        return p.label
    return p.numeric.get(col.column) or p.categorical.get(col.column)


def _column_plot(col: ColumnDrift, ref: ReferenceProfile, cur: ReferenceProfile) -> Figure | None:
    a, b = _summary(ref, col), _summary(cur, col)
    if isinstance(a, NumericSummary) and isinstance(b, NumericSummary) and a.n and b.n:
        return _numeric_plot(col, a, b)
    if isinstance(a, CategoricalSummary) and isinstance(b, CategoricalSummary):
        return _categorical_plot(col, a, b)
    return None


def _numeric_plot(col: ColumnDrift, a: NumericSummary, b: NumericSummary) -> Figure:
    lo = float(min(a.quantile(0.005), b.quantile(0.005)))
    hi = float(max(a.quantile(0.995), b.quantile(0.995)))
    if not hi > lo:
        lo, hi = lo - 0.5, hi + 0.5
    edges = np.linspace(lo, hi, 41)
    fig = Figure(figsize=(7, 2.6))
    ax1, ax2 = fig.subplots(1, 2)
    for s, color, name in ((a, REF_COLOR, "reference"), (b, CUR_COLOR, "current")):
        mass = np.diff(s.cdf(edges))
        ax1.stairs(mass / np.diff(edges), edges, color=color, label=name, fill=False, lw=1.5)
        xs = np.linspace(lo, hi, 400)
        ax2.plot(xs, s.cdf(xs), color=color, lw=1.5, label=name)
    ax1.set_title("density", fontsize=9)
    ax2.set_title(f"ECDF ({col.effect_size_name} = {col.effect_size:.3g})", fontsize=9)
    ax1.legend(fontsize=7)
    for ax in (ax1, ax2):
        ax.tick_params(labelsize=7)
    return fig


def _categorical_plot(col: ColumnDrift, a: CategoricalSummary, b: CategoricalSummary) -> Figure:
    pa_, pb = _props(a.counts, a.n), _props(b.counts, b.n)
    levels = sorted(set(pa_) | set(pb), key=lambda k: -max(pa_.get(k, 0), pb.get(k, 0)))[:15]
    x = np.arange(len(levels))
    fig = Figure(figsize=(7, 2.6))
    ax = fig.add_subplot()
    ax.bar(x - 0.2, [pa_.get(k, 0) for k in levels], 0.4, color=REF_COLOR, label="reference")
    ax.bar(x + 0.2, [pb.get(k, 0) for k in levels], 0.4, color=CUR_COLOR, label="current")
    ax.set_xticks(x, [k[:14] for k in levels], rotation=45, ha="right", fontsize=7)
    ax.set_ylabel("proportion", fontsize=8)
    ax.set_title(f"{col.effect_size_name} = {col.effect_size:.3g}", fontsize=9)
    ax.legend(fontsize=7)
    return fig


def _props(counts: Mapping[str, int], n: int) -> dict[str, float]:
    return {k: v / n for k, v in counts.items()} if n else {}
