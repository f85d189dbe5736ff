"""The HTML of the Driftline dashboard: one self-contained page (inline CSS and SVG charts,
no script, nothing fetched from elsewhere).

:func:`render_dashboard` takes a :class:`Dashboard` (the data, already queried) and returns
the page. Links to Airflow open in the top window (the page is shown in an iframe of the
Airflow UI), links to MLflow and Data Docs in a new tab.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from html import escape
from typing import Any

from driftline.monitoring.links import Links

_CSS = """
:root { --fg:#1f2937; --muted:#6b7280; --line:#e5e7eb; --bg:#f6f7f9; --card:#fff;
        --accent:#017cee; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;
       color:var(--fg); background:var(--bg); }
header { display:flex; align-items:baseline; gap:16px; flex-wrap:wrap; padding:16px 24px 8px; }
header h1 { margin:0; font-size:22px; letter-spacing:-.01em; }
header .sub { color:var(--muted); }
header nav { margin-left:auto; display:flex; gap:14px; font-size:13px; }
main { padding:8px 24px 32px; display:grid; gap:16px; }
a { color:var(--accent); text-decoration:none; } a:hover { text-decoration:underline; }
.cards { display:grid; grid-template-columns:repeat(auto-fit,minmax(170px,1fr)); gap:12px; }
.card, section { background:var(--card); border:1px solid var(--line); border-radius:10px; }
.card { padding:12px 14px; }
.card .label { color:var(--muted); font-size:12px; text-transform:uppercase; letter-spacing:.04em; }
.card .value { font-size:22px; font-weight:600; margin-top:2px; }
.card .hint { color:var(--muted); font-size:12px; }
section { padding:14px 16px; min-width:0; }
section h2 { margin:0 0 4px; font-size:16px; }
section .caption { color:var(--muted); font-size:12.5px; margin:0 0 10px; }
.chart-wrap { overflow-x:auto; }
svg.chart { max-width:100%; height:auto; display:block; }
.two { display:grid; grid-template-columns:minmax(0,1.2fr) minmax(0,1fr); gap:16px; }
@media (max-width: 1100px) { .two { grid-template-columns:1fr; } }
table { border-collapse:collapse; width:100%; font-size:13px; }
th, td { text-align:left; padding:6px 8px; border-bottom:1px solid var(--line); vertical-align:top; }
th { color:var(--muted); font-weight:600; font-size:12px; white-space:nowrap; }
td.num { text-align:right; font-variant-numeric:tabular-nums; white-space:nowrap; }
.chip { display:inline-block; padding:1px 8px; border-radius:999px; font-size:12px; font-weight:600;
        white-space:nowrap; background:#eef0f4; color:#374151; }
.chip.validated { background:#dbeafe; color:#1e40af; } .chip.processed { background:#dcfce7; color:#166534; }
.chip.quarantined { background:#fef3c7; color:#92400e; } .chip.failed { background:#fee2e2; color:#991b1b; }
.chip.fine_tune { background:#dbeafe; color:#1e3a8a; } .chip.full_retrain { background:#ede9fe; color:#5b21b6; }
.chip.severe, .chip.critical { background:#fee2e2; color:#991b1b; }
.chip.moderate, .chip.warning { background:#fef3c7; color:#92400e; }
.chip.drift { background:#fee2e2; color:#991b1b; } .chip.nodrift { background:#dcfce7; color:#166534; }
.chip.info { background:#e0f2fe; color:#075985; }
.bar { height:8px; background:#f3f4f6; border-radius:4px; min-width:60px; }
.bar > span { display:block; height:8px; border-radius:4px; background:#f59e0b; }
.bar > span.hot { background:#dc2626; }
.links a { margin-right:10px; white-space:nowrap; }
.muted { color:var(--muted); } .empty { color:var(--muted); padding:8px 0; }
.verdict { display:flex; gap:8px; flex-wrap:wrap; align-items:center; margin:4px 0 10px; }
ul.alerts { list-style:none; padding:0; margin:0; } ul.alerts li { padding:6px 0; border-bottom:1px solid var(--line); }
"""


@dataclass(frozen=True)
class Dashboard:
    """Everything the page shows (query results and rendered charts)."""

    model_name: str
    batches: Sequence[Mapping[str, Any]]
    heatmap_svg: str
    performance_svg: str
    report: Mapping[str, Any] | None
    decisions: Sequence[Mapping[str, Any]]
    alerts: Sequence[Mapping[str, Any]]
    steps: Sequence[Mapping[str, Any]]
    links: Links
    api_base: str
    generated_at: datetime
    n_batches_shown: int = 0
    extra: Mapping[str, Any] = field(default_factory=dict)
    estimated_svg: str = ""


def _e(value: Any) -> str:
    return escape("" if value is None else str(value))


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        if value != 0 and abs(value) < 10 ** (-digits):
            return f"{value:.1e}"
        return f"{value:.{digits}f}"
    return _e(value)


def _time(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return _e(value)


def _chip(text: Any, cls: str | None = None) -> str:
    klass = escape(str(cls if cls is not None else text))
    return f'<span class="chip {klass}">{_e(text)}</span>'


def _a(url: str | None, label: str, top: bool = False) -> str:
    if not url:
        return ""
    target = 'target="_top"' if top else 'target="_blank" rel="noopener"'
    return f'<a href="{escape(url)}" {target}>{escape(label)}</a>'


def _cards(d: Dashboard) -> str:
    batches = d.batches
    counts: dict[str, int] = {}
    for b in batches:
        counts[b["status"]] = counts.get(b["status"], 0) + 1
    last = batches[-1] if batches else None
    champion = next(
        (b["champion_version"] for b in reversed(batches) if b.get("champion_version")), None
    )
    decision = d.decisions[-1] if d.decisions else None
    checked = d.extra.get("drift_reports") or []
    drifted = sum(1 for r in checked if r.get("is_drift"))
    cards = [
        (
            "Batches",
            str(len(batches)),
            ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "none yet",
        ),
        (
            "Latest batch",
            _e(last["batch_id"]) if last else "–",
            _chip(last["status"]) + " " + _time(last["received_at"]) if last else "",
        ),
        (
            "Champion",
            f"v{_e(champion)}" if champion else "–",
            _a(d.links.model_version(champion), "open in MLflow") if champion else "no model yet",
        ),
        (
            "Latest decision",
            _e(decision["action"]) if decision else "–",
            f"batch {_e(decision['batch_id'])}" if decision else "",
        ),
        ("Drifted batches", str(drifted), f"of {len(checked)} batches checked for drift"),
        ("Alerts", str(len(d.alerts)), "recent, deduplicated per batch and rule"),
    ]
    return (
        '<div class="cards">'
        + "".join(
            f'<div class="card"><div class="label">{label}</div><div class="value">{value}</div>'
            f'<div class="hint">{hint}</div></div>'
            for label, value, hint in cards
        )
        + "</div>"
    )


def _report(d: Dashboard) -> str:
    r = d.report
    if not r:
        return '<p class="empty">No drift report yet.</p>'
    full = r.get("report") or {}
    cols = full.get("columns") or []
    n_drifted = sum(1 for c in cols if c.get("drifted"))
    verdict = [
        f"batch <b>{_e(r['batch_id'])}</b>",
        _chip("DRIFT", "drift") if r.get("is_drift") else _chip("no drift", "nodrift"),
        *(_chip(k, "info") for k in r.get("kinds") or []),
        _chip(r.get("severity"), r.get("severity")),
        f'<span class="muted">max effect {_fmt(r.get("max_effect"))} · {n_drifted}/{len(cols)} columns drifted'
        f" · n ref {_e(full.get('n_reference', '?'))}, n cur {_e(full.get('n_current', '?'))}"
        f" · {_e(full.get('correction', ''))} α={_e(full.get('alpha', ''))}</span>",
    ]
    top = max([float(c.get("effect_size") or 0) for c in cols] + [0.3])
    rows = []
    for c in sorted(cols, key=lambda c: c.get("rank") or 0):
        eff = float(c.get("effect_size") or 0)
        width = max(2.0, 100.0 * eff / top)
        hot = "hot" if c.get("drifted") else ""
        rows.append(
            "<tr>"
            f'<td class="num">{_e(c.get("rank"))}</td><td><b>{_e(c.get("column"))}</b></td>'
            f'<td class="muted">{_e(c.get("role"))}</td><td class="muted">{_e(c.get("effect_size_name"))}</td>'
            f'<td class="num">{_fmt(c.get("effect_size"))}</td>'
            f'<td><div class="bar"><span class="{hot}" style="width:{width:.0f}%"></span></div></td>'
            f'<td class="num">{_fmt(c.get("p_value"))}</td><td class="num">{_fmt(c.get("p_value_corrected"))}</td>'
            f"<td>{_chip('drifted', 'drift') if c.get('drifted') else ''}</td></tr>"
        )
    extra = [x for x in full.get("extra_results") or [] if x.get("is_drift")]
    notes = "".join(f"<li>{_e(n)}</li>" for n in full.get("notes") or [])
    concept = "".join(
        f"<li>{_e(x.get('method'))}: {_e(x.get('effect_size_name'))} = {_fmt(x.get('effect_size'))}</li>"
        for x in extra
    )
    table = (
        "<table><thead><tr><th>#</th><th>column</th><th>role</th><th>effect</th><th>value</th><th></th>"
        "<th>p</th><th>p corrected</th><th></th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
        if rows
        else '<p class="empty">The report has no column.</p>'
    )
    more = f"<ul>{concept}{notes}</ul>" if concept or notes else ""
    return f'<div class="verdict">{" ".join(verdict)}</div>{table}{more}'


def _timeline(d: Dashboard) -> str:
    if not d.decisions:
        return '<p class="empty">No decision yet.</p>'
    rows = []
    for r in reversed(d.decisions):
        links = [
            _a(d.links.airflow_run(r.get("dag_id"), r.get("run_id")), "Airflow run", top=True),
            _a(d.links.mlflow_run(r.get("mlflow_run_id")), "MLflow run"),
            _a(d.links.model_version(r.get("model_version")), f"model v{r.get('model_version')}"),
            _a(d.links.data_docs(r.get("batch_id"), r.get("data_docs")), "Data Docs"),
        ]
        events = ", ".join(
            f"{_e(e['kind'].replace('_', ' '))}"
            + (f" v{_e(e['model_version'])}" if e.get("model_version") else "")
            for e in r.get("events") or []
        )
        reasons = "; ".join(_e(x) for x in r.get("reasons") or []) or '<span class="muted">–</span>'
        rows.append(
            "<tr>"
            f'<td class="muted" style="white-space:nowrap">{_time(r.get("received_at"))}</td>'
            f"<td><b>{_e(r['batch_id'])}</b><br>{_chip(r.get('status'))}</td>"
            f"<td>{_chip(r['action'])}<br>{_chip(r.get('severity'), r.get('severity')) if r.get('severity') != 'none' else ''}</td>"
            f"<td>{reasons}{'<br><span class=muted>' + events + '</span>' if events else ''}</td>"
            f'<td class="links">{"".join(x for x in links if x) or "<span class=muted>–</span>"}</td>'
            "</tr>"
        )
    return (
        "<table><thead><tr><th>received</th><th>batch</th><th>action</th><th>reasons · model events</th>"
        "<th>links</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
    )


def _alerts(d: Dashboard) -> str:
    if not d.alerts:
        return '<p class="empty">No alert sent.</p>'
    items = []
    for a in d.alerts:
        channels = ", ".join(a.get("channels") or []) or "not delivered"
        items.append(
            f"<li>{_chip(a['severity'])} <b>{_e(a['rule'])}</b> · {_e(a['message'])} "
            f'<span class="muted">({_time(a.get("created_at"))}, {_e(channels)})</span></li>'
        )
    return '<ul class="alerts">' + "".join(items) + "</ul>"


def _steps(d: Dashboard) -> str:
    if not d.steps:
        return '<p class="empty">No step timing yet.</p>'
    batch = d.steps[-1]["batch_id"]
    rows = [s for s in d.steps if s["batch_id"] == batch]
    total = sum(float(s["seconds"]) for s in rows) or 1.0
    body = "".join(
        f"<tr><td>{_e(s['step'])}</td><td class='num'>{float(s['seconds']):.1f} s</td>"
        f"<td><div class='bar'><span style='width:{100 * float(s['seconds']) / total:.0f}%'></span></div></td></tr>"
        for s in rows
    )
    return (
        f'<p class="caption">batch {_e(batch)}</p>'
        f"<table><thead><tr><th>step</th><th>duration</th><th></th></tr></thead><tbody>{body}</tbody></table>"
    )


def _estimated(d: Dashboard) -> str:
    if not d.estimated_svg:
        return ""
    return f"""<section id="estimated"><h2>Estimated vs realized performance</h2>
<p class="caption">For a batch without labels the champion's metric is estimated from its
calibrated probabilities (CBPE; a model of its errors, DLE, for regression) with a 95 %
band, next to its value on its own hold-out; the realized value appears once the labels
arrive. The estimate assumes the concept <i>p(y|x)</i> did not change: under concept drift
it is not valid (see docs/estimation.md).</p>
<div class="chart-wrap">{d.estimated_svg}</div></section>"""


def render_dashboard(d: Dashboard) -> str:
    """The full HTML page."""
    api = escape(d.api_base)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Driftline · {_e(d.model_name)}</title><style>{_CSS}</style></head>
<body>
<header><h1>Driftline</h1>
<span class="sub">continual-learning monitor for model <b>{_e(d.model_name)}</b> ·
last {d.n_batches_shown} batches · {_time(d.generated_at)} UTC</span>
<nav><a href="{api}/batches">JSON API</a><a href="{api}/openapi.json">OpenAPI</a>
<a href="{api}/drift/latest">latest report (JSON)</a></nav></header>
<main>
{_cards(d)}
<section id="heatmap"><h2>Drift effect sizes · features × batches</h2>
<p class="caption">Each cell is the column's primary effect size (KS distance for numeric
columns, Jensen–Shannon distance for categorical ones, total variation for the label).
Outlined cells with <b>*</b> drifted: corrected p-value below α and effect above its floor.</p>
<div class="chart-wrap">{d.heatmap_svg}</div></section>
<section id="performance"><h2>Model performance over time</h2>
<p class="caption">Champion metrics per labelled batch; vertical markers show fine-tunes,
full retrains, promotions, rollbacks and refused candidates.</p>
<div class="chart-wrap">{d.performance_svg}</div></section>
{_estimated(d)}
<div class="two">
<section id="latest-report"><h2>Latest drift report</h2>{_report(d)}</section>
<div style="display:grid;gap:16px;align-content:start;min-width:0">
<section id="alerts"><h2>Recent alerts</h2>{_alerts(d)}</section>
<section id="steps"><h2>Step durations</h2>{_steps(d)}</section>
</div></div>
<section id="timeline"><h2>Decision timeline</h2>
<p class="caption">Newest first. Each entry links its Airflow run, MLflow run, model version
and Great Expectations Data Docs.</p>{_timeline(d)}</section>
</main></body></html>"""
