"""Opt-in fault injection: the ways real exports break, applied to simulated partitions.

Each fault class is applied to the first partition of its target feed on or after the
*fault day* (the second simulated day, or the only one) that has data to break, after the
simulator has written it. The source's marker is then rewritten as the source would have
written it (it counts what it delivered). ``landing/_faults.json`` lists every injection
with the file, the affected lines and the outcome the warehouse must produce:

- ``repaired``: loaded once, duplicates counted and removed;
- ``quarantined``: the broken rows go to ``raw_rejects`` with a reason, the rest loads;
- ``loaded``: loaded intact (with a warning where the shape changed);
- ``load_fails``: the partition's load fails with a message naming the problem;
- ``gate_stops``: the rows load, and the quality gate stops the run before publishing;
- ``skipped``: the simulated days had nothing for the fault to break (it says why);
- ``alerts``: an *incident* (``INCIDENTS``, never part of ``all``, applied to the last simulated
  day): the platform itself broke, the data is true, and the run of that day must raise exactly
  the KPI alerts listed in the injection's ``monitors`` (``monitor:dimension value``).

Each fault is a function registered with ``@fault``; ``FAULTS`` maps its name to what it does.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from opswh.landing import MARKER, count_records, data_files, partition_dir, write_marker


@dataclass
class Injection:
    fault: str
    feed: str
    dt: str
    expect: str
    detail: str
    file: str = ""
    lines: list[int] = field(default_factory=list)
    monitors: list[str] = field(default_factory=list)


class _Injector:
    """Where faults apply (the fault day's partitions) and what they did (``out``)."""

    def __init__(self, landing: Path, start: date, days: int) -> None:
        self.landing = landing
        self.days = [start + timedelta(days=i) for i in range(days)]
        self.fault_day = self.days[1] if days > 1 else self.days[0]
        self.out: list[Injection] = []

    def part(self, feed: str, dt: date) -> Path:
        return partition_dir(self.landing, feed, dt)

    def target(self, feed: str, min_rows: int = 1) -> tuple[date, Path] | None:
        """The first partition on or after the fault day with at least ``min_rows`` rows."""
        for dt in self.days:
            if dt < self.fault_day:
                continue
            d = self.part(feed, dt)
            if (d / MARKER).exists():
                files = data_files(d)
                if files and count_records(files[0]) >= min_rows:
                    return dt, files[0]
        return None

    def remark(self, path: Path, feed: str, dt: date) -> None:
        write_marker(path if path.is_dir() else path.parent, feed, dt)

    def edit_lines(self, feed: str, dt: date, path: Path, edit: Callable[[list[str]], list[str] | None]) -> None:
        """Read a JSON-lines file, let ``edit`` change its lines (in place, or return new ones), write it back
        and re-mark the partition."""
        lines = path.read_text(encoding="utf-8").splitlines()
        lines = edit(lines) or lines
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        self.remark(path, feed, dt)

    def edit_csv(
        self, feed: str, dt: date, path: Path, edit: Callable[[list[list[str]]], list[list[str]] | None]
    ) -> None:
        """The same for a CSV file's rows (the header is row 0)."""
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
        rows = edit(rows) or rows
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(rows)
        path.write_text(buf.getvalue(), encoding="utf-8")
        self.remark(path, feed, dt)

    def record(
        self,
        fault: str,
        feed: str,
        dt: date,
        expect: str,
        detail: str,
        file: Path | None = None,
        lines: list[int] | None = None,
        monitors: list[str] | None = None,
    ) -> None:
        rel = str(file.relative_to(self.landing)) if file else ""
        self.out.append(Injection(fault, feed, dt.isoformat(), expect, detail, rel, lines or [], monitors or []))

    def skipped(self, fault: str, feed: str, why: str) -> None:
        self.out.append(Injection(fault, feed, "", "skipped", why))


FAULTS: dict[str, str] = {}  # name -> what it does (docs/landing_contract.md lists them)
_APPLY: dict[str, Callable[[_Injector], None]] = {}


def fault(description: str) -> Callable[[Callable[[_Injector], None]], Callable[[_Injector], None]]:
    """Register a fault class under its function's name."""

    def register(fn: Callable[[_Injector], None]) -> Callable[[_Injector], None]:
        FAULTS[fn.__name__] = description
        _APPLY[fn.__name__] = fn
        return fn

    return register


# -------------------------------------------------------------------------- the faults


@fault("A file of the orders partition is delivered twice (byte-identical copy).")
def duplicate_file(inj: _Injector) -> None:
    t = inj.target("orders")
    if not t:
        return inj.skipped("duplicate_file", "orders", "no orders to duplicate")
    dt, f = t
    copy = f.with_name(f"part-{len(data_files(f.parent)):04d}{f.suffix}")
    shutil.copyfile(f, copy)
    inj.remark(f, "orders", dt)
    inj.record("duplicate_file", "orders", dt, "repaired", f"{f.name} delivered again as {copy.name}", copy)


@fault("The SDK re-sends some events: same event_id, received 30 s later.")
def duplicate_events(inj: _Injector) -> None:
    t = inj.target("events", 10)
    if not t:
        return inj.skipped("duplicate_events", "events", "too few events")
    dt, f = t
    sent: list[int] = []

    def resend(lines: list[str]) -> list[str]:
        extra = []
        for i in list(range(0, len(lines), max(1, len(lines) // 5)))[:5]:
            rec = json.loads(lines[i])
            rec["received_at"] = _shift(rec["received_at"], seconds=30)
            extra.append(json.dumps(rec, ensure_ascii=False))
        sent.extend(range(len(lines) + 1, len(lines) + len(extra) + 1))
        return lines + extra

    inj.edit_lines("events", dt, f, resend)
    inj.record("duplicate_events", "events", dt, "repaired", f"{len(sent)} events re-sent", f, sent)


@fault("Some events of the fault day arrive the next day (in the next day's partition).")
def late_events(inj: _Injector) -> None:
    t = inj.target("events", 10)
    if not t or t[0] == inj.days[-1]:
        return inj.skipped("late_events", "events", "needs a day after the fault day")
    dt, f = t
    nxt = dt + timedelta(days=1)
    g = data_files(inj.part("events", nxt))[0]
    moved: list[str] = []

    def take(lines: list[str]) -> list[str]:
        late = set(range(3, len(lines), 40))
        for i in sorted(late):
            rec = json.loads(lines[i])
            rec["received_at"] = f"{nxt.isoformat()}T01:00:00.000Z"
            moved.append(json.dumps(rec, ensure_ascii=False))
        return [line for i, line in enumerate(lines) if i not in late]

    inj.edit_lines("events", dt, f, take)
    before = len(g.read_text(encoding="utf-8").splitlines())
    inj.edit_lines("events", nxt, g, lambda lines: lines + moved)
    lines = list(range(before + 1, before + len(moved) + 1))
    inj.record("late_events", "events", nxt, "loaded", f"{len(moved)} events of {dt} arrive on {nxt}", g, lines)


@fault(
    "Rows with a wrong column count, an unparsable number or date (orders), and an unparsable JSON line "
    "and a bad timestamp (events)."
)
def malformed_rows(inj: _Injector) -> None:
    t = inj.target("orders", 3)
    if not t:
        inj.skipped("malformed_rows", "orders", "fewer than 3 orders on or after the fault day")
    else:
        dt, f = t

        def break_orders(rows: list[list[str]]) -> None:
            gmv, placed = rows[0].index("gmv_amount"), rows[0].index("placed_at")
            rows[1] = rows[1][:-1]  # wrong column count
            rows[2][gmv] = "12.5x"  # unparsable number
            rows[3][placed] = "2026-13-45T99:00:00Z"  # unparsable date

        inj.edit_csv("orders", dt, f, break_orders)
        inj.record(
            "malformed_rows", "orders", dt, "quarantined", "wrong column count, bad number, bad date", f, [2, 3, 4]
        )
    t = inj.target("events", 10)
    if not t:
        return inj.skipped("malformed_rows", "events", "fewer than 10 events on or after the fault day")
    dt, f = t
    count: list[int] = []

    def break_events(lines: list[str]) -> list[str]:
        bad_ts = json.loads(lines[5])
        bad_ts["event_at"] = "yesterday"
        bad_ts["event_id"] = bad_ts["event_id"] + "x"
        lines = lines + ['{"event_id": "ev_broken", "user_id": "u1", "event_at": ', json.dumps(bad_ts)]
        count.append(len(lines))
        return lines

    inj.edit_lines("events", dt, f, break_events)
    n = count[0]
    inj.record("malformed_rows", "events", dt, "quarantined", "invalid JSON, unparsable timestamp", f, [n - 1, n])


@fault("An added column: `app_version` in registrations, `reach` in ad_spend.")
def schema_drift_added(inj: _Injector) -> None:
    t = inj.target("registrations")
    if not t:
        inj.skipped("schema_drift_added", "registrations", "no registrations on or after the fault day")
    else:
        dt, f = t

        def add_field(lines: list[str]) -> list[str]:
            recs = [json.loads(x) for x in lines]
            for r in recs:
                r["app_version"] = "5.2.1"
            return [json.dumps(r, ensure_ascii=False) for r in recs]

        inj.edit_lines("registrations", dt, f, add_field)
        inj.record("schema_drift_added", "registrations", dt, "loaded", "added field app_version", f)
    t = inj.target("ad_spend")
    if not t:
        return inj.skipped("schema_drift_added", "ad_spend", "no ad spend on or after the fault day")
    dt, f = t
    inj.edit_csv(
        "ad_spend", dt, f, lambda rows: [r + (["reach"] if i == 0 else [str(1000 + i)]) for i, r in enumerate(rows)]
    )
    inj.record("schema_drift_added", "ad_spend", dt, "loaded", "added column reach", f)


@fault("A renamed column: order_items delivers `price` instead of `unit_price`.")
def schema_drift_renamed(inj: _Injector) -> None:
    t = inj.target("order_items")
    if not t:
        return inj.skipped("schema_drift_renamed", "order_items", "no order items")
    dt, f = t

    def rename(rows: list[list[str]]) -> None:
        rows[0][rows[0].index("unit_price")] = "price"

    inj.edit_csv("order_items", dt, f, rename)
    inj.record("schema_drift_renamed", "order_items", dt, "load_fails", "unit_price renamed to price", f, [1])


@fault(
    "Empty keys: order_id in orders (quarantined); event_id in events, which an export may lack "
    "(loaded: staging derives an id from the record)."
)
def null_keys(inj: _Injector) -> None:
    t = inj.target("orders", 8)
    if not t:
        inj.skipped("null_keys", "orders", "fewer than 8 orders on or after the fault day")
    else:
        dt, f = t

        def blank(rows: list[list[str]]) -> None:
            for i in (5, 6):
                rows[i][0] = ""

        inj.edit_csv("orders", dt, f, blank)
        inj.record("null_keys", "orders", dt, "quarantined", "empty order_id", f, [6, 7])
    t = inj.target("events", 10)
    if not t:
        return inj.skipped("null_keys", "events", "fewer than 10 events on or after the fault day")
    dt, f = t

    def null(lines: list[str]) -> None:
        for i in (7, 8):
            rec = json.loads(lines[i])
            rec["event_id"] = None
            lines[i] = json.dumps(rec, ensure_ascii=False)

    inj.edit_lines("events", dt, f, null)
    inj.record("null_keys", "events", dt, "loaded", "null event_id: staging derives one from the record", f, [8, 9])


@fault("Negative amounts: payments.amount and ad_spend.spend.")
def negative_amounts(inj: _Injector) -> None:
    for feed, col in (("payments", "amount"), ("ad_spend", "spend")):
        t = inj.target(feed, 2)
        if not t:
            inj.skipped("negative_amounts", feed, "no rows")
            continue
        dt, f = t

        def negate(rows: list[list[str]], col: str = col) -> None:
            j = rows[0].index(col)
            rows[1][j] = "-" + rows[1][j].lstrip("-") if rows[1][j] not in ("0", "0.0") else "-5.0"

        inj.edit_csv(feed, dt, f, negate)
        inj.record("negative_amounts", feed, dt, "quarantined", f"negative {col}", f, [2])


@fault(
    "A refund of 1.5 times a payment of the fault day, added to its refunds next to a genuine partial "
    "refund of another payment (a delivery whose every row is rejected fails as a whole)."
)
def refund_exceeds_payment(inj: _Injector) -> None:
    t = inj.target("payments", 2)
    if not t:
        return inj.skipped("refund_exceeds_payment", "refunds", "fewer than 2 payments on or after the fault day")
    dt, pay = t
    payments = list(csv.reader(io.StringIO(pay.read_text(encoding="utf-8"))))
    excess, genuine = (dict(zip(payments[0], row, strict=True)) for row in payments[1:3])
    f = data_files(inj.part("refunds", dt))[0]
    count: list[int] = []

    def refund(rows: list[list[str]], p: dict[str, str], share: float, extra: float, name: str, why: str) -> None:
        bad = dict.fromkeys(rows[0], "")
        bad.update(
            refund_id=f"r_{name}_" + p["order_id"],
            order_id=p["order_id"],
            refunded_at=p["paid_at"],
            currency=p["currency"],
            amount=f"{abs(float(p['amount'])) * share + extra:.2f}",
            paid_amount=f"{abs(float(p['amount'])):.2f}",
            fee_refund_amount="0.0",
            reason=why,
        )
        rows.append([bad[c] for c in rows[0]])

    def add(rows: list[list[str]]) -> None:
        refund(rows, genuine, 0.5, 0.0, "partial", "fault: a genuine partial refund")
        refund(rows, excess, 1.5, 1.0, "excess", "fault: refund exceeds payment")
        count.append(len(rows))

    inj.edit_csv("refunds", dt, f, add)
    inj.record("refund_exceeds_payment", "refunds", dt, "quarantined", "refund = 1.5 x payment + 1", f, count)


@fault(
    "Feedback off its scale: an NPS answer of 11 and a CSAT answer of 0 (survey_responses), a rating "
    "on a ticket row that is not a resolution (support_tickets)."
)
def off_scale_feedback(inj: _Injector) -> None:
    t = inj.target("survey_responses", 2)
    if not t:
        inj.skipped("off_scale_feedback", "survey_responses", "fewer than 2 survey answers on or after the fault day")
    else:
        dt, f = t

        def off_scale(lines: list[str]) -> None:
            for i, score in ((0, 11), (1, 0)):
                rec = json.loads(lines[i])
                rec["survey_type"], rec["score"] = ("nps", score) if score else ("csat", score)
                lines[i] = json.dumps(rec, ensure_ascii=False)

        inj.edit_lines("survey_responses", dt, f, off_scale)
        inj.record("off_scale_feedback", "survey_responses", dt, "quarantined", "NPS 11, CSAT 0", f, [1, 2])
    t = inj.target("support_tickets", 1)
    if not t:
        return inj.skipped("off_scale_feedback", "support_tickets", "no ticket changes on or after the fault day")
    dt, f = t
    line: list[int] = []

    def rate_a_creation(rows: list[list[str]]) -> None:
        status, satisfaction = rows[0].index("status"), rows[0].index("satisfaction")
        i = next((i for i, r in enumerate(rows[1:], 1) if r[status] != "resolved"), None)
        if i is not None:
            rows[i][satisfaction] = "5"
            line.append(i + 1)

    inj.edit_csv("support_tickets", dt, f, rate_a_creation)
    if not line:
        return inj.skipped("off_scale_feedback", "support_tickets", f"only resolutions in {f.name}")
    inj.record("off_scale_feedback", "support_tickets", dt, "quarantined", "a rating on a non-resolution row", f, line)


@fault("Events whose event_at is 400 days in the future (a device clock).")
def future_timestamps(inj: _Injector) -> None:
    t = inj.target("events", 12)
    if not t:
        return inj.skipped("future_timestamps", "events", "too few events")
    dt, f = t

    def ahead(lines: list[str]) -> None:
        for i in (10, 11):
            rec = json.loads(lines[i])
            rec["event_at"] = _shift(rec["event_at"], days=400)
            lines[i] = json.dumps(rec, ensure_ascii=False)

    inj.edit_lines("events", dt, f, ahead)
    inj.record("future_timestamps", "events", dt, "quarantined", "event_at + 400 days", f, [11, 12])


@fault("merchant_billing delivers a partition with a header and no rows.")
def empty_partition(inj: _Injector) -> None:
    dt = inj.fault_day
    d = inj.part("merchant_billing", dt)
    files = data_files(d) if d.exists() else []
    if not files:
        return inj.skipped("empty_partition", "merchant_billing", f"no merchant_billing partition on {dt}")
    header = files[0].read_text(encoding="utf-8").splitlines()[0]
    for p in files:
        p.unlink()
    (d / "part-0000.csv").write_text(header + "\n", encoding="utf-8")
    inj.remark(d, "merchant_billing", dt)
    inj.record("empty_partition", "merchant_billing", dt, "loaded", "header only, no rows", d / "part-0000.csv")


@fault("content_items delivers nothing for the fault day (no folder, no marker).")
def missing_partition(inj: _Injector) -> None:
    dt = inj.fault_day
    if not inj.part("content_items", dt).exists():
        return inj.skipped("missing_partition", "content_items", f"no content_items partition on {dt}")
    shutil.rmtree(inj.part("content_items", dt))
    inj.record("missing_partition", "content_items", dt, "load_fails", "partition folder not delivered")


@fault("A merchant name in Latin-1 bytes that are not UTF-8.")
def non_utf8(inj: _Injector) -> None:
    t = inj.target("merchants", 4)
    if not t:
        return inj.skipped("non_utf8", "merchants", "no merchants")
    dt, f = t
    raw = f.read_bytes().split(b"\n")
    raw[3] = raw[3].replace(b",", b",\xe9t\xe9 \xff", 1)  # Latin-1 bytes inside the name
    f.write_bytes(b"\n".join(raw))
    inj.remark(f, "merchants", dt)
    inj.record("non_utf8", "merchants", dt, "quarantined", "Latin-1 bytes in merchant_name", f, [4])


@fault("A 5,000-character nickname in registrations (the contract allows 256).")
def long_strings(inj: _Injector) -> None:
    t = inj.target("registrations")
    if not t:
        return inj.skipped("long_strings", "registrations", "no registrations")
    dt, f = t

    def lengthen(lines: list[str]) -> None:
        rec = json.loads(lines[0])
        rec["nickname"] = "长" * 5000
        lines[0] = json.dumps(rec, ensure_ascii=False)

    inj.edit_lines("registrations", dt, f, lengthen)
    inj.record("long_strings", "registrations", dt, "quarantined", "5,000-character nickname", f, [1])


@fault("Merchant names with Chinese text, quotes, commas and emoji (must load intact).")
def chinese_text(inj: _Injector) -> None:
    t = inj.target("merchants", 3)
    if not t:
        return inj.skipped("chinese_text", "merchants", "no merchants")
    dt, f = t

    def rename(rows: list[list[str]]) -> None:
        j = rows[0].index("merchant_name")
        rows[1][j] = '王记"老字号",面馆 🍜'
        rows[2][j] = "Café 咖啡, 第二家"

    inj.edit_csv("merchants", dt, f, rename)
    inj.record("chinese_text", "merchants", dt, "loaded", "quotes, commas, emoji in names", f, [2, 3])


@fault("Ad spend for a channel that is not in that day's channel catalogue (kept, with a warning).")
def unknown_channel(inj: _Injector) -> None:
    t = inj.target("ad_spend")
    if not t:
        return inj.skipped("unknown_channel", "ad_spend", "no ad spend")
    dt, f = t
    count: list[int] = []

    def add(rows: list[list[str]]) -> None:
        new, h = list(rows[1]), rows[0]
        new[h.index("channel")] = "tiktok_ads_cn"
        new[h.index("account_id")] = "acct_tiktok_ads_cn"
        new[h.index("campaign_id")] = "tiktok_ads_cn_c1"
        new[h.index("spend")] = "100.00"  # a valid row, whatever other faults did to the one copied
        rows.append(new)
        count.append(len(rows))

    inj.edit_csv("ad_spend", dt, f, add)
    detail = "channel tiktok_ads_cn not in the catalogue"
    inj.record("unknown_channel", "ad_spend", dt, "loaded", detail, f, count)


# ------------------------------------------------------------------------ the incidents

INCIDENTS: dict[str, str] = {}  # name -> what happens (docs/landing_contract.md lists them)
_INCIDENTS: dict[str, Callable[[_Injector], None]] = {}


def incident(description: str) -> Callable[[Callable[[_Injector], None]], Callable[[_Injector], None]]:
    """Register an incident under its function's name: applied to the last simulated day."""

    def register(fn: Callable[[_Injector], None]) -> Callable[[_Injector], None]:
        INCIDENTS[fn.__name__] = description
        _INCIDENTS[fn.__name__] = fn
        return fn

    return register


@incident(
    "The busiest acquisition channel's traffic collapses for the last day: none of its visits or "
    "registrations arrive (its ad spend still does). Raises channel_registrations_drop for it."
)
def incident_channel_outage(inj: _Injector) -> None:
    dt = inj.days[-1]
    regs, events = data_files(inj.part("registrations", dt)), data_files(inj.part("events", dt))
    if not regs or not events or regs[0].suffix != ".jsonl" or events[0].suffix != ".jsonl":
        return inj.skipped("incident_channel_outage", "registrations", "needs JSON-lines registrations and events")
    records = [json.loads(line) for line in regs[0].read_text(encoding="utf-8").splitlines() if line.strip()]
    by_channel: dict[str, int] = {}
    for r in records:
        if not r.get("is_test") and r.get("first_touch_source"):
            by_channel[r["first_touch_source"]] = by_channel.get(r["first_touch_source"], 0) + 1
    if not by_channel:
        return inj.skipped("incident_channel_outage", "registrations", "no registrations on the last day")
    channel = max(sorted(by_channel), key=lambda c: by_channel[c])
    gone = [r for r in records if channel in (r.get("first_touch_source"), r.get("last_touch_source"))]
    users, devices = {r["user_id"] for r in gone}, {r.get("device_id") for r in gone}

    def keep_registrations(lines: list[str]) -> list[str]:
        return [line for line in lines if json.loads(line)["user_id"] not in users]

    def keep_events(lines: list[str]) -> list[str]:
        out = []
        for line in lines:
            e = json.loads(line)
            if e.get("user_id") in users or e.get("device_id") in devices:
                continue
            if (e.get("properties") or {}).get("utm_source") == channel:
                continue
            out.append(line)
        return out

    inj.edit_lines("registrations", dt, regs[0], keep_registrations)
    inj.edit_lines("events", dt, events[0], keep_events)
    detail = f"{len(gone)} registrations from {channel} (and their visits and events) never arrive"
    inj.record(
        "incident_channel_outage",
        "registrations",
        dt,
        "alerts",
        detail,
        regs[0],
        monitors=[f"channel_registrations_drop:{channel}"],
    )


@incident(
    "A release crashes the app on the last day: a burst of `app_bug` tickets (five times the day's "
    "tickets, at least 40) arrives from users registered before it. Raises support_tickets_spike."
)
def incident_app_crash(inj: _Injector) -> None:
    dt = inj.days[-1]
    tickets = data_files(inj.part("support_tickets", dt))
    users = []
    for day in inj.days[:-1]:
        for f in data_files(inj.part("registrations", day)):
            if f.suffix == ".jsonl":
                users += [
                    r["user_id"]
                    for r in map(json.loads, f.read_text(encoding="utf-8").splitlines())
                    if not r.get("is_test")
                ]
    if not tickets or not users or count_records(tickets[0]) == 0:
        return inj.skipped(
            "incident_app_crash", "support_tickets", "needs a support_tickets partition and registrations"
        )
    burst: list[int] = []

    def add_tickets(rows: list[list[str]]) -> None:
        header = rows[0]
        status, changed_at = header.index("status"), header.index("changed_at")
        n = max(40, 5 * sum(1 for r in rows[1:] if r[status] == "created"))
        start = min(r[changed_at] for r in rows[1:])  # within the day, whatever its zone
        for i in range(n):
            ts = _shift(start, seconds=3 * i)
            values = {
                "ticket_id": f"tcrash{i}",
                "user_id": users[(i * 7919) % len(users)],
                "status": "created",
                "created_at": ts,
                "changed_at": ts,
                "category": "app_bug",
                "priority": "high",
                "contact_channel": "in_app_chat",
                "satisfaction": "",
            }
            rows.append([values[c] for c in header])
        burst.append(n)

    inj.edit_csv("support_tickets", dt, tickets[0], add_tickets)
    inj.record(
        "incident_app_crash",
        "support_tickets",
        dt,
        "alerts",
        f"{burst[0]} app_bug tickets within {burst[0] * 3 // 60 + 1} minutes",
        tickets[0],
        monitors=["support_tickets_spike:all"],
    )


# Applied in this order: late events first (they remove lines, which would shift the line
# numbers other faults record), text edits before byte edits, and the byte-identical copy
# last, so that it is still identical to the file it duplicates.
_LAST = ("chinese_text", "non_utf8", "duplicate_file")
ORDER = ["late_events"] + [f for f in FAULTS if f not in ("late_events", *_LAST)] + list(_LAST)


def parse_faults(spec: str | None) -> list[str]:
    """``all``, a comma list of fault names, or nothing."""
    if not spec:
        return []
    if spec.strip() == "all":
        return list(ORDER)
    names = [s.strip() for s in spec.split(",") if s.strip()]
    unknown = [n for n in names if n not in FAULTS and n not in INCIDENTS]
    if unknown:
        known = ", ".join([*ORDER, *INCIDENTS])
        raise ValueError(f"unknown fault class {', '.join(unknown)}; known: {known} (or 'all', which has no incident)")
    return [n for n in ORDER if n in names]


def inject(landing: Path, start: date, days: int, faults: list[str]) -> list[dict]:
    """Apply the named faults (then incidents) to what the simulator wrote and write ``_faults.json``."""
    inj = _Injector(landing, start, days)
    for name in (n for n in ORDER if n in faults):  # the safe order, whatever order they were asked in
        _APPLY[name](inj)
    for name in (n for n in INCIDENTS if n in faults):
        _INCIDENTS[name](inj)
    out = [asdict(i) for i in inj.out]
    (landing / "_faults.json").write_text(json.dumps(out, indent=1, ensure_ascii=False))
    return out


def _shift(ts: str, days: int = 0, seconds: int = 0) -> str:
    t = datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ") + timedelta(days=days, seconds=seconds)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"
