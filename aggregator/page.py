"""The public page at `/`: the collective ledger and the latest month, as server-rendered HTML
with inline SVG charts. No script, no external resource; French and English."""
from html import escape

from carbon import summary_wire as wire

STRINGS = {
    "fr": {
        "title": "Coopérative carbone de La Rochelle",
        "intro": "Chiffres publiés à partir des bilans mensuels signés que les membres ont choisi "
                 "d'envoyer. Une case n'est publiée que si au moins {k} contributeurs y figurent ; "
                 "les autres sont masquées.",
        "ledger": "CO2e évité par la coopérative, mois par mois (kg)",
        "month": "Mois {month} : part des km bas carbone par commune",
        "commune": "Commune", "contributors": "Contributeurs", "co2e": "kg CO2e par contributeur",
        "share": "Part bas carbone", "avoided": "kg CO2e évités", "suppressed": "masquée",
        "all": "Toute l'agglomération", "none": "Commune non indiquée",
        "nothing": "Rien n'est encore publié.", "data": "Données ouvertes",
        "lang": "English", "other": "en",
    },
    "en": {
        "title": "La Rochelle carbon cooperative",
        "intro": "Figures published from the signed monthly summaries members chose to send. A "
                 "cell is published only if at least {k} contributors are in it; the others are "
                 "suppressed.",
        "ledger": "CO2e avoided by the cooperative, month by month (kg)",
        "month": "Month {month}: share of low-carbon km by commune",
        "commune": "Commune", "contributors": "Contributors", "co2e": "kg CO2e per contributor",
        "share": "Low-carbon share", "avoided": "kg CO2e avoided", "suppressed": "suppressed",
        "all": "Whole agglomeration", "none": "Commune not given",
        "nothing": "Nothing is published yet.", "data": "Open data",
        "lang": "Français", "other": "fr",
    },
}


def pick_language(query: str | None, accept: str | None) -> str:
    if query in STRINGS:
        return query
    for part in (accept or "").split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in STRINGS:
            return tag
    return "fr"


def bar_chart(values: list, width=640, height=220, colour="#2e7d32") -> str:
    """Vertical bars with their labels underneath and values on top: [(label, value)]."""
    if not values:
        return ""
    top = max(v for _l, v in values) or 1
    slot = width / len(values)
    bars = []
    for i, (label, value) in enumerate(values):
        h = (height - 50) * value / top
        x, y = i * slot + slot * 0.15, height - 30 - h
        bars.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" height="{h:.1f}" fill="{colour}"/>'
            f'<text x="{x + slot * 0.35:.1f}" y="{y - 4:.1f}" font-size="11" text-anchor="middle">{value:g}</text>'
            f'<text x="{x + slot * 0.35:.1f}" y="{height - 12}" font-size="11" text-anchor="middle">{escape(label)}</text>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}">{"".join(bars)}</svg>')


def share_chart(rows: list, width=640) -> str:
    """Horizontal bars of a share in [0, 1]: [(label, share)]."""
    if not rows:
        return ""
    line, label_w = 22, 190
    height = line * len(rows) + 10
    parts = []
    for i, (label, share) in enumerate(rows):
        y = 5 + i * line
        w = (width - label_w - 60) * share
        parts.append(
            f'<text x="0" y="{y + 15}" font-size="12">{escape(label)}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{line - 8}" fill="#1565c0"/>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + 15}" font-size="12">{share * 100:.0f} %</text>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}">{"".join(parts)}</svg>')


def _name(cell: dict, s: dict) -> str:
    return {"all": s["all"], "none": s["none"]}.get(cell["commune"]) or cell.get("name") or cell["commune"]


def _month_section(tables: dict, month: str, s: dict) -> str:
    cells = tables["cells"]
    shares = [(_name(c, s), c["low_carbon_share"]) for c in cells
              if not c["suppressed"] and c.get("low_carbon_share") is not None]
    rows = []
    for c in cells:
        if c["suppressed"]:
            rows.append(f"<tr><td>{escape(_name(c, s))}</td><td colspan=4><em>{s['suppressed']}</em></td></tr>")
            continue
        share = c.get("low_carbon_share")
        rows.append(f"<tr><td>{escape(_name(c, s))}</td><td>{c['contributors']}</td>"
                    f"<td>{c.get('co2e_kg_per_contributor', '')}</td>"
                    f"<td>{'' if share is None else f'{share * 100:.0f} %'}</td>"
                    f"<td>{c.get('avoided_co2e_kg', '')}</td></tr>")
    head = (f"<tr><th>{s['commune']}</th><th>{s['contributors']}</th><th>{s['co2e']}</th>"
            f"<th>{s['share']}</th><th>{s['avoided']}</th></tr>")
    return (f"<h2>{escape(s['month'].format(month=month))}</h2>{share_chart(shares)}"
            f"<table>{head}{''.join(rows)}</table>"
            f'<p>{s["data"]}: <a href="/published/{month}.json">JSON</a> · '
            f'<a href="/published/{month}.csv">CSV</a> · <a href="/ledger.json">ledger</a></p>')


def render(lang: str, ledger_rows: list, releases: list, k: int) -> str:
    s = STRINGS[lang]
    standing = [(m, t) for study, m, _n, t in releases if study == wire.STANDING_STUDY_ID]
    body = [f"<h1>{s['title']}</h1>", f"<p>{escape(s['intro'].format(k=k))}</p>"]
    if not standing:
        body.append(f"<p>{s['nothing']}</p>")
    else:
        bars = [(r["month"], r["avoided_co2e_kg"] or 0) for r in ledger_rows]
        body += [f"<h2>{s['ledger']}</h2>", bar_chart(bars)]
        month, tables = standing[-1]
        body.append(_month_section(tables, month, s))
    return (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{s['title']}</title><style>body{{font-family:sans-serif;max-width:720px;"
            f"margin:1em auto;padding:0 1em}}table{{border-collapse:collapse}}td,th{{padding:2px 8px;"
            f"border-bottom:1px solid #ddd;text-align:left}}</style></head><body>"
            f'<p style="text-align:right"><a href="/?lang={s["other"]}">{s["lang"]}</a></p>'
            f"{''.join(body)}</body></html>")
