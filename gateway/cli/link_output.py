"""How `selfdata link ...` prints what the outbox returns: sentences and small tables."""
from __future__ import annotations

from datetime import datetime

from carbon.summary_wire import FIELDS


def local(ts, tz) -> str:
    return "never" if ts is None else datetime.fromtimestamp(ts, tz).strftime("%Y-%m-%d %H:%M")


def preview_item(item: dict) -> None:
    """One study's preview: the exact bytes on a line of their own, then the same in words."""
    head = f"{item['study']} ({item['title']}), {item['month']}"
    if not item["sent"]:
        print(f"{head}: nothing is sent ({item['why']})")
        return
    print(f"{head}, revision {item['revision']}: {item['state']}")
    print(item["wire"])
    for line in item["words"]:
        print(f"  {line}")
    if item.get("commune_missing"):
        print("  (the commune is ticked but no home place in the agglomeration is known: "
              "it is left out)")


def studies(found: list) -> None:
    for agg in found:
        note = f" ({agg['not_refreshed']})" if agg["not_refreshed"] else ""
        print(f"{agg['aggregator']}{note}")
        if not agg["studies"]:
            print("  no study published")
        for s in agg["studies"]:
            period = s["period"]["from"] + " to " + (s["period"].get("to") or "open-ended")
            consent = s.get("consent")
            mine = ("" if consent is None else
                    "  [joined" + (", with commune" if consent["commune"] else "") + "]"
                    if consent["joined"] else "  [left]")
            print(f"  {s['id']}: {s['title']}{mine}")
            print(f"    {s['purpose']}")
            print(f"    asks for: " + "; ".join(FIELDS[f] for f in s["fields"]))
            print(f"    {period}; published over at least {s['k']} contributors; run by {s['runs_it']}")


def send_report(done: dict, names: dict, tz) -> None:
    for q in done["queued"]:
        due = f", goes after {local(q['due_at'], tz)}" if q["due_at"] else ""
        print(f"queued: {names.get(q['member_id'], '?')} {q['study']} {q['month'] or ''} "
              f"({q['what']}{due})")
    for s in done["sent"]:
        what = f"{names.get(s['member_id'], '?')} {s['kind']} {s['study'] or ''} {s['month'] or ''}"
        result = s["status"] if s["outcome"] == "done" else f"{s['outcome']}: {s['reason']}"
        print(f"sent: {' '.join(what.split())}: {result}")
    if not done["queued"] and not done["sent"]:
        print("nothing is due")
    elif not done["sent"]:
        print("nothing was due to go yet: the service sends each message at its own moment "
              "(or: selfdata link send --now)")


def ledger(rows: list, tz, member: str) -> None:
    if not rows:
        print(f"nothing was sent for {member}")
        return
    print(f"{'sent':<17} {'what':<8} {'study':<16} {'month':<8} {'rev':>3}  {'answer':<16} digest")
    for r in rows:
        answer = r["status"] + (f" ({r['count']})" if r["count"] is not None else "")
        print(f"{local(r['sent_at'], tz):<17} {r['kind']:<8} {r['study'] or '':<16} "
              f"{r['month'] or '':<8} {r['revision'] or '':>3}  {answer:<16} {r['digest'][:16]}")


def status(links: list, tz) -> None:
    if not links:
        print("no member is enrolled with an aggregator (selfdata link enrol URL TOKEN --member NAME)")
    for l in links:
        print(f"{l['member']} -> {l['aggregator']} as {l['pseudonym']}: {l['state']}, "
              f"enrolled {local(l['enrolled_at'], tz)}")
        for sid, c in sorted(l["studies"].items()):
            state = "joined" if c["joined"] else "left"
            extra = f" from {c['from_month']}" + (", with commune" if c["commune"] else "")
            print(f"  {sid}: {state}{extra if c['joined'] else ''}")
        for p in l["pending"]:
            tried = f", tried {p['attempts']} times: {p['last_error']}" if p["attempts"] else ""
            print(f"  waiting: {p['kind']} {p['study_id'] or ''} {p['month'] or ''} "
                  f"(revision {p['revision'] or '-'}), not before {local(p['due_at'], tz)}{tried}")
        for r in l["refused"]:
            print(f"  refused: {r['kind']} {r['study_id'] or ''} {r['month'] or ''}: {r['last_error']}")
        print(f"  {l['sent']} sent, last {local(l['last_sent_at'], tz)}")


def control(what: str, outcome: dict) -> None:
    if outcome["sent"]:
        count = f", {outcome['count']} contributions cleared" if outcome.get("count") is not None else ""
        print(f"{what}: {outcome['status']} by the city{count}")
    else:
        print(f"{what}: {outcome['why']}")


def _fmt(value, unit="") -> str:
    return "-" if value is None else f"{value}{unit}"


def comparison(found: dict) -> None:
    where = f"{found['commune_name']} ({found['commune']})" if found["commune"] else "no commune known"
    print(f"households like yours, from {found['aggregator']}; your commune: {where}")
    print(f"{'month':<8} {'':<10} {'CO2e kg':>8} {'low-carbon':>10} {'km':>8} {'bike days':>9}")
    for m in found["months"]:
        mine = m["mine"] or {}
        print(f"{m['month']:<8} {'you':<10} {_fmt(mine.get('co2e_kg')):>8} "
              f"{_fmt(mine.get('low_carbon_share')):>10} {_fmt(mine.get('km')):>8} "
              f"{_fmt(mine.get('bike_days')):>9}")
        for label, cell in (("commune", m["commune"]), ("all", m["all"])):
            if not m["published"]:
                print(f"{'':<8} {label:<10} nothing published")
            elif cell is None:
                print(f"{'':<8} {label:<10} not published (fewer than k contributors)")
            else:
                print(f"{'':<8} {label:<10} {_fmt(cell['co2e_kg_per_contributor']):>8} "
                      f"{_fmt(cell['low_carbon_share']):>10} {_fmt(cell['km_per_contributor']):>8} "
                      f"{_fmt(cell['bike_days_per_contributor']):>9}  ({cell['contributors']} contributors)")
