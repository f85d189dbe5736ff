"""Server-side charts of the Driftline view, rendered by matplotlib to inline SVG.

Nothing is loaded from the network: the SVG text goes straight into the HTML page (or is
served by the ``/charts/*.svg`` endpoints). Text stays text (``svg.fonttype = "none"``), so
the charts are small, sharp and searchable. Figures are built with
:class:`matplotlib.figure.Figure` (no pyplot state), so rendering is thread-safe.

>>> rows = [{"batch_id": "b1", "column": "x", "effect_size": 0.05, "drifted": False},
...         {"batch_id": "b2", "column": "x", "effect_size": 0.40, "drifted": True}]
>>> svg = drift_heatmap_svg(rows)
>>> svg.startswith("<svg") and "b2" in svg and "0.40" in svg
True
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

_STYLE = {
    "svg.fonttype": "none",
    "svg.hashsalt": "driftline",
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "font.size": 10,
    "axes.edgecolor": "#c4c9d4",
    "axes.labelcolor": "#374151",
    "xtick.color": "#4b5563",
    "ytick.color": "#4b5563",
    "axes.titleweight": "bold",
}

#: How each model event is drawn on the performance chart: (colour, marker, line style, label).
EVENT_STYLE: dict[str, tuple[str, str, str, str]] = {
    "fine_tune": ("#2563eb", "o", ":", "fine-tune"),
    "full_retrain": ("#7c3aed", "s", "--", "full retrain"),
    "promotion": ("#16a34a", "^", "-", "promotion"),
    "rollback": ("#dc2626", "v", "-", "rollback"),
    "refused": ("#6b7280", "X", ":", "refused candidate"),
}
_METRIC_COLORS = ("#0f766e", "#ea580c", "#4f46e5", "#be185d", "#65a30d", "#0369a1")


def _short(label: str, n: int = 18) -> str:
    return label if len(label) <= n else label[: n - 1] + "…"


def _to_svg(fig: Any) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buf.getvalue()
    text = text[text.index("<svg") :]
    text = re.sub(r"\s*<metadata>.*?</metadata>", "", text, count=1, flags=re.S)
    return re.sub(r"<svg", '<svg class="chart"', text, count=1)


def _message_svg(text: str) -> str:
    from matplotlib import rc_context
    from matplotlib.figure import Figure

    with rc_context(_STYLE):
        fig = Figure(figsize=(8, 1.2))
        fig.text(0.5, 0.5, text, ha="center", va="center", color="#6b7280", fontsize=11)
        return _to_svg(fig)


def drift_heatmap_svg(rows: Sequence[Mapping[str, Any]], vmax: float | None = None) -> str:
    """Features × batches heatmap of drift effect sizes.

    Parameters
    ----------
    rows : sequence of dict
        Per-column drift rows (``batch_id``, ``column``, ``effect_size``, ``drifted``) in
        batch order, as returned by :meth:`MonitoringStore.drift`.
    vmax : float, optional
        Top of the colour scale (default: the largest effect, at least 0.3).
    """
    if not rows:
        return _message_svg("No drift reports yet")
    import numpy as np
    from matplotlib import rc_context
    from matplotlib.figure import Figure

    batches = list(dict.fromkeys(r["batch_id"] for r in rows))
    columns = list(dict.fromkeys(r["column"] for r in rows))
    values = np.full((len(columns), len(batches)), np.nan)
    drifted = np.zeros_like(values, dtype=bool)
    for r in rows:
        i, j = columns.index(r["column"]), batches.index(r["batch_id"])
        values[i, j] = np.nan if r.get("effect_size") is None else float(r["effect_size"])
        drifted[i, j] = bool(r.get("drifted"))
    order = np.argsort(-np.nan_to_num(values, nan=0.0).mean(axis=1), kind="stable")
    columns = [columns[i] for i in order]  # most drifted columns on top
    values, drifted = values[order], drifted[order]
    finite = values[np.isfinite(values)]
    top = vmax if vmax is not None else max(0.3, float(finite.max()) if finite.size else 0.3)
    annotate = len(batches) <= 40 and len(columns) <= 40
    with rc_context(_STYLE):
        width = min(20.0, max(9.0, 2.5 + 0.9 * len(batches)))
        height = max(2.4, 1.4 + 0.36 * len(columns))
        fig = Figure(figsize=(width, height))
        ax = fig.add_subplot()
        masked = np.ma.masked_invalid(values)
        import matplotlib as mpl

        cmap = mpl.colormaps["YlOrRd"].with_extremes(bad="#eef0f4")
        im = ax.imshow(
            masked, aspect="auto", cmap=cmap, vmin=0.0, vmax=top, interpolation="nearest"
        )
        ax.set_xticks(range(len(batches)), [_short(b) for b in batches], rotation=45, ha="right")
        ax.set_yticks(range(len(columns)), [_short(c, 24) for c in columns])
        ax.set_xticks(np.arange(-0.5, len(batches)), minor=True)
        ax.set_yticks(np.arange(-0.5, len(columns)), minor=True)
        ax.grid(which="minor", color="white", linewidth=1.5)
        ax.tick_params(which="minor", length=0)
        ax.tick_params(which="major", length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        if annotate:
            for i in range(len(columns)):
                for j in range(len(batches)):
                    v = values[i, j]
                    if not np.isfinite(v):
                        continue
                    dark = v / top > 0.6
                    label = f"{v:.2f}" + ("*" if drifted[i, j] else "")
                    ax.text(
                        j,
                        i,
                        label,
                        ha="center",
                        va="center",
                        fontsize=7.5,
                        color="white" if dark else "#1f2937",
                        fontweight="bold" if drifted[i, j] else "normal",
                    )
        for i, j in zip(*np.nonzero(drifted), strict=True):
            ax.add_patch(
                mpl.patches.Rectangle(
                    (j - 0.46, i - 0.44), 0.92, 0.88, fill=False, edgecolor="#111827", linewidth=1.4
                )
            )
        cbar = fig.colorbar(im, ax=ax, fraction=0.025, pad=0.01)
        cbar.set_label("effect size", color="#374151")
        cbar.outline.set_visible(False)
        ax.set_xlabel("batch (oldest → newest)")
        return _to_svg(fig)


def _batch_positions(
    performance: Sequence[Mapping[str, Any]], events: Sequence[Mapping[str, Any]]
) -> tuple[list[str], dict[str, datetime | None]]:
    order: dict[str, datetime | None] = {}
    for r in (*performance, *events):
        b = r.get("batch_id")
        if b and b not in order:
            order[b] = r.get("received_at")
    ids = sorted(order, key=lambda b: (order[b] is None, order[b] or datetime.min, b))
    return ids, order


def performance_svg(
    performance: Sequence[Mapping[str, Any]],
    events: Sequence[Mapping[str, Any]] = (),
    floor: float | None = None,
    floor_metric: str | None = None,
) -> str:
    """Model performance per batch with markers for fine-tunes, retrains, promotions,
    rollbacks and refused candidates.

    Parameters
    ----------
    performance : sequence of dict
        Champion performance rows (``batch_id``, ``metric``, ``value``, ``model_version``,
        ``received_at``), as from :meth:`MonitoringStore.performance`.
    events : sequence of dict
        Model events (``kind``, ``model_version``, ``batch_id``, ``received_at``, ``at``).
    floor : float, optional
        Draw the alert floor of ``floor_metric`` as a dotted line.
    """
    if not performance and not events:
        return _message_svg("No labelled batches yet: performance appears once labels arrive")
    from matplotlib import rc_context
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    ids, received = _batch_positions(performance, events)
    pos = {b: i for i, b in enumerate(ids)}
    with rc_context(_STYLE):
        fig = Figure(figsize=(min(20.0, max(10.0, 4.0 + 0.8 * len(ids))), 4.4))
        ax = fig.add_subplot()
        metrics = list(dict.fromkeys(r["metric"] for r in performance))
        handles: list[Any] = []
        for k, metric in enumerate(metrics):
            pts = [
                (pos[r["batch_id"]], float(r["value"]))
                for r in performance
                if r["metric"] == metric
            ]
            pts.sort()
            color = _METRIC_COLORS[k % len(_METRIC_COLORS)]
            (line,) = ax.plot(
                [p[0] for p in pts],
                [p[1] for p in pts],
                marker="o",
                markersize=4,
                linewidth=2,
                color=color,
                label=metric,
            )
            handles.append(line)
        if floor is not None:
            ax.axhline(floor, color="#9ca3af", linestyle=(0, (2, 2)), linewidth=1)
            handles.append(
                Line2D(
                    [],
                    [],
                    color="#9ca3af",
                    linestyle=(0, (2, 2)),
                    label=f"alert floor ({floor_metric or 'metric'} {floor:g})",
                )
            )
        values = [float(r["value"]) for r in performance]
        lo, hi = (min(values), max(values)) if values else (0.0, 1.0)
        pad = max(0.02, 0.08 * (hi - lo))
        ymin, ymax = lo - pad, hi + 3 * pad
        if floor is not None:
            ymin, ymax = min(ymin, floor - pad), max(ymax, floor + pad)
        ax.set_ylim(ymin, ymax)
        seen: set[str] = set()
        at_x: dict[int, int] = {}
        for e in events:
            kind = e.get("kind", "")
            if kind not in EVENT_STYLE:
                continue
            x = pos.get(e.get("batch_id") or "")
            if x is None:
                at = e.get("at")
                before = [pos[b] for b in ids if received.get(b) and at and received[b] <= at]
                x = max(before) if before else 0
            color, marker, style, label = EVENT_STYLE[kind]
            k = at_x[x] = at_x.get(x, -1) + 1  # several events on one batch: stack the markers
            y = ymax - pad * (0.6 + 1.1 * k)
            if k == 0:
                ax.axvline(x, color=color, linestyle=style, linewidth=1.2, alpha=0.7)
            ax.plot(
                [x], [y], marker=marker, color=color, markersize=9, clip_on=False, linestyle="none"
            )
            if kind in ("promotion", "rollback") and e.get("model_version"):
                ax.annotate(
                    f"v{e['model_version']}",
                    (x, y),
                    xytext=(6, -3),
                    textcoords="offset points",
                    color=color,
                    fontsize=8.5,
                    fontweight="bold",
                )
            if kind not in seen:
                seen.add(kind)
                handles.append(
                    Line2D([], [], color=color, marker=marker, linestyle=style, label=label)
                )
        ax.set_xticks(range(len(ids)), [_short(b) for b in ids], rotation=45, ha="right")
        ax.set_xlim(-0.5, max(len(ids) - 0.5, 0.5))
        ax.grid(axis="y", color="#e5e7eb", linewidth=0.8)
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ax.set_ylabel("champion metric")
        ax.set_xlabel("batch (oldest → newest)")
        ax.legend(
            handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=9
        )
        return _to_svg(fig)


def estimated_performance_svg(
    estimated: Sequence[Mapping[str, Any]],
    realized: Sequence[Mapping[str, Any]] = (),
    floor: float | None = None,
    floor_metric: str | None = None,
    metric: str | None = None,
) -> str:
    """The champion's estimated metric per batch without labels (with its band) against the
    realized metric once labels arrive, the hold-out value and the alert floor.

    Parameters
    ----------
    estimated : sequence of dict
        Rows of :meth:`MonitoringStore.estimated_performance` (``batch_id``, ``metric``,
        ``value``, ``low``, ``high``, ``reference_value``, ``method``, ``received_at``).
    realized : sequence of dict
        Champion performance rows (:meth:`MonitoringStore.performance`), labelled batches.
    floor : float, optional
        The alert floor of ``floor_metric``, drawn when it is the charted metric.
    metric : str, optional
        Metric to chart (default: ``floor_metric`` when estimated, else the first one).

    >>> est = [{"batch_id": "b2", "metric": "accuracy", "value": 0.74, "low": 0.7,
    ...         "high": 0.78, "reference_value": 0.85, "method": "cbpe"}]
    >>> real = [{"batch_id": "b1", "metric": "accuracy", "value": 0.84},
    ...         {"batch_id": "b2", "metric": "accuracy", "value": 0.72}]
    >>> svg = estimated_performance_svg(est, real, floor=0.7, floor_metric="accuracy")
    >>> "estimated accuracy" in svg and "realized" in svg and "alert floor" in svg
    True
    """
    metrics = list(dict.fromkeys(r["metric"] for r in estimated))
    if not metrics:
        return _message_svg(
            "No batch without labels yet: estimates appear for batches that arrive unlabelled"
        )
    chosen = metric if metric in metrics else floor_metric if floor_metric in metrics else None
    chosen = chosen or metrics[0]
    est = [r for r in estimated if r["metric"] == chosen]
    real = [r for r in realized if r["metric"] == chosen]
    from matplotlib import rc_context
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    ids, _ = _batch_positions([*est, *real], ())
    pos = {b: i for i, b in enumerate(ids)}
    with rc_context(_STYLE):
        fig = Figure(figsize=(min(20.0, max(10.0, 4.0 + 0.8 * len(ids))), 4.4))
        ax = fig.add_subplot()
        handles: list[Any] = []
        pts = sorted((pos[r["batch_id"]], r) for r in est)
        xs = [x for x, _ in pts]
        ys = [float(r["value"]) for _, r in pts]
        lows = [float(r["low"]) if r.get("low") is not None else float(r["value"]) for _, r in pts]
        highs = [
            float(r["high"]) if r.get("high") is not None else float(r["value"]) for _, r in pts
        ]
        color, real_color, ref_color = "#ea580c", "#0f766e", "#6b7280"
        ax.vlines(xs, lows, highs, color=color, alpha=0.35, linewidth=7, zorder=2)
        methods = ", ".join(sorted({str(r.get("method", "")).upper() for _, r in pts}))
        (line,) = ax.plot(
            xs,
            ys,
            marker="o",
            markersize=5,
            markerfacecolor="white",
            linestyle=(0, (4, 2)),
            linewidth=1.8,
            color=color,
            zorder=3,
            label=f"estimated {chosen} ({methods}, no labels) with band",
        )
        handles.append(line)
        rpts = sorted((pos[r["batch_id"]], float(r["value"])) for r in real)
        if rpts:
            (rline,) = ax.plot(
                [p[0] for p in rpts],
                [p[1] for p in rpts],
                marker="o",
                markersize=5,
                linewidth=2,
                color=real_color,
                zorder=4,
                label=f"realized {chosen} (labels)",
            )
            handles.append(rline)
        refs = [
            (x, r.get("reference_value")) for x, r in pts if r.get("reference_value") is not None
        ]
        if refs:
            ax.plot(
                [x for x, _ in refs],
                [float(v) for _, v in refs],
                marker="_",
                markersize=16,
                linestyle="none",
                color=ref_color,
                zorder=2,
            )
            handles.append(
                Line2D(
                    [],
                    [],
                    color=ref_color,
                    marker="_",
                    markersize=16,
                    linestyle="none",
                    label="champion's hold-out",
                )
            )
        values = [*ys, *lows, *highs, *(p[1] for p in rpts), *(float(v) for _, v in refs)]
        if floor is not None and floor_metric == chosen:
            ax.axhline(floor, color="#dc2626", linestyle=(0, (2, 2)), linewidth=1.2)
            handles.append(
                Line2D(
                    [],
                    [],
                    color="#dc2626",
                    linestyle=(0, (2, 2)),
                    label=f"alert floor ({chosen} {floor:g})",
                )
            )
            values.append(floor)
        lo, hi = min(values), max(values)
        pad = max(0.02, 0.08 * (hi - lo))
        ax.set_ylim(lo - pad, hi + pad)
        ax.set_xticks(range(len(ids)), [_short(b) for b in ids], rotation=45, ha="right")
        ax.set_xlim(-0.5, max(len(ids) - 0.5, 0.5))
        ax.grid(axis="y", color="#e5e7eb", linewidth=0.8)
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ax.set_ylabel(f"champion {chosen}")
        ax.set_xlabel("batch (oldest → newest)")
        ax.legend(
            handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=9
        )
        return _to_svg(fig)
