"""Charts drawn on the server as inline SVG: readable without JavaScript, printable.

These functions only compute geometry; the templates (``_chart.html``) write the SVG with
autoescaping, so a label is always text.
"""
from __future__ import annotations

import math

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 52, 8, 12, 34


def nice_ceiling(value: float) -> float:
    """A round top for the axis (1, 2, 2.5, 5 x 10^n) at or above value."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):  # each divides into fifths
        if step * power >= value:
            return step * power
    return 10 * power


def stacked_bars(periods: list[dict], modes: list[str], key: str, *, average: float | None,
                 label, value_label) -> dict:
    """Bars per period, one segment per mode (``periods[i]["modes"][mode][key]``), with
    grid lines and, when given, the average of the earlier periods as a dashed line."""
    totals = [sum(p["modes"].get(m, {}).get(key, 0) for m in modes) for p in periods]
    top = nice_ceiling(max(totals + [average or 0, 0]) * 1.05)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(periods), 1)
    bar_w = min(48.0, slot * 0.6)
    scale = plot_h / top
    bars = []
    for i, (p, total) in enumerate(zip(periods, totals)):
        x = LEFT + i * slot + (slot - bar_w) / 2
        y = TOP + plot_h
        segments = []
        for m in modes:
            v = p["modes"].get(m, {}).get(key, 0)
            if v <= 0:
                continue
            h = v * scale
            y -= h
            segments.append({"mode": m, "x": round(x, 1), "y": round(y, 1), "w": round(bar_w, 1),
                             "h": round(max(h, 0.5), 1), "value": v})
        bars.append({"label": label(p), "x": round(x + bar_w / 2, 1), "total": total,
                     "total_label": value_label(total), "top": round(y, 1),
                     "segments": segments, "current": i == len(periods) - 1})
    grid = [{"y": round(TOP + plot_h - f * plot_h, 1), "label": value_label(f * top)}
            for f in (0, 0.2, 0.4, 0.6, 0.8, 1)]
    avg_y = round(TOP + plot_h - average * scale, 1) if average else None
    return {"width": WIDTH, "height": HEIGHT, "left": LEFT, "right": WIDTH - RIGHT,
            "bars": bars, "grid": grid, "avg_y": avg_y, "base": TOP + plot_h}
