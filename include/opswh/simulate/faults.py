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
- ``gate_stops``: the rows load, and the quality gate stops the run before publishing.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path

from opswh.landing import MARKER, data_files, write_marker


@dataclass
class Injection:
    fault: str
    feed: str
    dt: str
    expect: str
    detail: str
    file: str = ""
    lines: list[int] = field(default_factory=list)


FAULTS: dict[str, str] = {
    "duplicate_file": "A file of the orders partition is delivered twice (byte-identical copy).",
    "duplicate_events": "The SDK re-sends some events: same event_id, received 30 s later.",
    "late_events": "Some events of the fault day arrive the next day (in the next day's partition).",
    "malformed_rows": "Rows with a wrong column count, an unparsable number or date (orders), and an unparsable JSON line and a bad timestamp (events).",
    "schema_drift_added": "An added column: `app_version` in registrations, `reach` in ad_spend.",
    "schema_drift_renamed": "A renamed column: order_items delivers `price` instead of `unit_price`.",
    "null_keys": "Empty keys: order_id in orders, event_id in events.",
    "negative_amounts": "Negative amounts: payments.amount and ad_spend.spend.",
    "refund_exceeds_payment": "A refund of 1.5 times a payment of the fault day (added to its refunds).",
    "future_timestamps": "Events whose event_at is 400 days in the future (a device clock).",
    "empty_partition": "merchant_billing delivers a partition with a header and no rows.",
    "missing_partition": "content_items delivers nothing for the fault day (no folder, no marker).",
    "non_utf8": "A merchant name in Latin-1 bytes that are not UTF-8.",
    "long_strings": "A 5,000-character nickname in registrations (the contract allows 256).",
    "chinese_text": "Merchant names with Chinese text, quotes, commas and emoji (must load intact).",
    "unknown_channel": "Ad spend for a channel that is not in that day's channel catalogue (caught by the quality gate).",
}
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
    unknown = [n for n in names if n not in FAULTS]
    if unknown:
        raise ValueError(f"unknown fault class {', '.join(unknown)}; known: {', '.join(ORDER)} (or 'all')")
    return [n for n in ORDER if n in names]


class _Injector:
    def __init__(self, landing: Path, start: date, days: int) -> None:
        self.landing = landing
        self.days = [start + timedelta(days=i) for i in range(days)]
        self.fault_day = self.days[1] if days > 1 else self.days[0]
        self.out: list[Injection] = []

    def part(self, feed: str, dt: date) -> Path:
        return self.landing / feed / f"dt={dt.isoformat()}"

    def target(self, feed: str, min_rows: int = 1) -> tuple[date, Path] | None:
        """The first partition on or after the fault day with at least ``min_rows`` rows."""
        for dt in self.days:
            if dt < self.fault_day:
                continue
            d = self.part(feed, dt)
            if (d / MARKER).exists():
                files = data_files(d)
                if files and _count(files[0]) >= min_rows:
                    return dt, files[0]
        return None

    def remark(self, path: Path, feed: str, dt: date) -> None:
        write_marker(path if path.is_dir() else path.parent, feed, dt)

    def record(
        self,
        fault: str,
        feed: str,
        dt: date,
        expect: str,
        detail: str,
        file: Path | None = None,
        lines: list[int] | None = None,
    ) -> None:
        self.out.append(
            Injection(
                fault,
                feed,
                dt.isoformat(),
                expect,
                detail,
                str(file.relative_to(self.landing)) if file else "",
                lines or [],
            )
        )

    def skipped(self, fault: str, feed: str, why: str) -> None:
        self.out.append(Injection(fault, feed, "", "skipped", why))

    # -------------------------------------------------------------- the faults

    def duplicate_file(self) -> None:
        t = self.target("orders")
        if not t:
            return self.skipped("duplicate_file", "orders", "no orders to duplicate")
        dt, f = t
        copy = f.with_name(f"part-{len(data_files(f.parent)):04d}{f.suffix}")
        shutil.copyfile(f, copy)
        self.remark(f, "orders", dt)
        self.record("duplicate_file", "orders", dt, "repaired", f"{f.name} delivered again as {copy.name}", copy)

    def duplicate_events(self) -> None:
        t = self.target("events", 10)
        if not t:
            return self.skipped("duplicate_events", "events", "too few events")
        dt, f = t
        lines = f.read_text(encoding="utf-8").splitlines()
        picks = list(range(0, len(lines), max(1, len(lines) // 5)))[:5]
        extra = []
        for i in picks:
            rec = json.loads(lines[i])
            rec["received_at"] = _shift(rec["received_at"], seconds=30)
            extra.append(json.dumps(rec, ensure_ascii=False))
        f.write_text("\n".join(lines + extra) + "\n", encoding="utf-8")
        self.remark(f, "events", dt)
        self.record(
            "duplicate_events",
            "events",
            dt,
            "repaired",
            f"{len(extra)} events re-sent",
            f,
            list(range(len(lines) + 1, len(lines) + len(extra) + 1)),
        )

    def late_events(self) -> None:
        t = self.target("events", 10)
        if not t or t[0] == self.days[-1]:
            return self.skipped("late_events", "events", "needs a day after the fault day")
        dt, f = t
        nxt = dt + timedelta(days=1)
        g = data_files(self.part("events", nxt))[0]
        lines = f.read_text(encoding="utf-8").splitlines()
        late_idx = set(range(3, len(lines), 40))
        keep = [line for i, line in enumerate(lines) if i not in late_idx]
        moved = []
        for i in sorted(late_idx):
            rec = json.loads(lines[i])
            rec["received_at"] = f"{nxt.isoformat()}T01:00:00.000Z"
            moved.append(json.dumps(rec, ensure_ascii=False))
        f.write_text("\n".join(keep) + "\n", encoding="utf-8")
        nlines = g.read_text(encoding="utf-8").splitlines()
        g.write_text("\n".join(nlines + moved) + "\n", encoding="utf-8")
        self.remark(f, "events", dt)
        self.remark(g, "events", nxt)
        self.record(
            "late_events",
            "events",
            nxt,
            "loaded",
            f"{len(moved)} events of {dt} arrive on {nxt}",
            g,
            list(range(len(nlines) + 1, len(nlines) + len(moved) + 1)),
        )

    def malformed_rows(self) -> None:
        t = self.target("orders", 3)
        if t:
            dt, f = t
            rows = _read_csv(f)
            header = rows[0]
            gmv, placed = header.index("gmv_amount"), header.index("placed_at")
            rows[1] = rows[1][:-1]  # wrong column count
            rows[2][gmv] = "12.5x"  # unparsable number
            rows[3][placed] = "2026-13-45T99:00:00Z"  # unparsable date
            _write_csv(f, rows)
            self.remark(f, "orders", dt)
            self.record(
                "malformed_rows", "orders", dt, "quarantined", "wrong column count, bad number, bad date", f, [2, 3, 4]
            )
        t = self.target("events", 10)
        if t:
            dt, f = t
            lines = f.read_text(encoding="utf-8").splitlines()
            bad_ts = json.loads(lines[5])
            bad_ts["event_at"] = "yesterday"
            bad_ts["event_id"] = bad_ts["event_id"] + "x"
            lines += ['{"event_id": "ev_broken", "user_id": "u1", "event_at": ', json.dumps(bad_ts)]
            f.write_text("\n".join(lines) + "\n", encoding="utf-8")
            self.remark(f, "events", dt)
            self.record(
                "malformed_rows",
                "events",
                dt,
                "quarantined",
                "invalid JSON, unparsable timestamp",
                f,
                [len(lines) - 1, len(lines)],
            )

    def schema_drift_added(self) -> None:
        t = self.target("registrations")
        if t:
            dt, f = t
            recs = [json.loads(x) for x in f.read_text(encoding="utf-8").splitlines()]
            for r in recs:
                r["app_version"] = "5.2.1"
            f.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs), encoding="utf-8")
            self.remark(f, "registrations", dt)
            self.record("schema_drift_added", "registrations", dt, "loaded", "added field app_version", f)
        t = self.target("ad_spend")
        if t:
            dt, f = t
            rows = _read_csv(f)
            rows = [r + (["reach"] if i == 0 else [str(1000 + i)]) for i, r in enumerate(rows)]
            _write_csv(f, rows)
            self.remark(f, "ad_spend", dt)
            self.record("schema_drift_added", "ad_spend", dt, "loaded", "added column reach", f)

    def schema_drift_renamed(self) -> None:
        t = self.target("order_items")
        if not t:
            return self.skipped("schema_drift_renamed", "order_items", "no order items")
        dt, f = t
        rows = _read_csv(f)
        rows[0][rows[0].index("unit_price")] = "price"
        _write_csv(f, rows)
        self.remark(f, "order_items", dt)
        self.record("schema_drift_renamed", "order_items", dt, "load_fails", "unit_price renamed to price", f, [1])

    def null_keys(self) -> None:
        t = self.target("orders", 8)
        if t:
            dt, f = t
            rows = _read_csv(f)
            for i in (5, 6):
                rows[i][0] = ""
            _write_csv(f, rows)
            self.remark(f, "orders", dt)
            self.record("null_keys", "orders", dt, "quarantined", "empty order_id", f, [6, 7])
        t = self.target("events", 10)
        if t:
            dt, f = t
            lines = f.read_text(encoding="utf-8").splitlines()
            for i in (7, 8):
                rec = json.loads(lines[i])
                rec["event_id"] = None
                lines[i] = json.dumps(rec, ensure_ascii=False)
            f.write_text("\n".join(lines) + "\n", encoding="utf-8")
            self.remark(f, "events", dt)
            self.record("null_keys", "events", dt, "quarantined", "null event_id", f, [8, 9])

    def negative_amounts(self) -> None:
        for feed, col in (("payments", "amount"), ("ad_spend", "spend")):
            t = self.target(feed, 2)
            if not t:
                self.skipped("negative_amounts", feed, "no rows")
                continue
            dt, f = t
            rows = _read_csv(f)
            j = rows[0].index(col)
            rows[1][j] = "-" + rows[1][j].lstrip("-") if rows[1][j] not in ("0", "0.0") else "-5.0"
            _write_csv(f, rows)
            self.remark(f, feed, dt)
            self.record("negative_amounts", feed, dt, "quarantined", f"negative {col}", f, [2])

    def refund_exceeds_payment(self) -> None:
        t = self.target("payments")
        if not t:
            return self.skipped("refund_exceeds_payment", "refunds", "no payments on or after the fault day")
        dt, pay = t
        p = dict(zip(*_read_csv(pay)[:2]))
        f = data_files(self.part("refunds", dt))[0]
        rows = _read_csv(f)
        h = rows[0]
        bad = dict.fromkeys(h, "")
        bad.update(
            refund_id="r_excess_" + p["order_id"],
            order_id=p["order_id"],
            refunded_at=p["paid_at"],
            currency=p["currency"],
            amount=f"{abs(float(p['amount'])) * 1.5 + 1:.2f}",
            paid_amount=f"{abs(float(p['amount'])):.2f}",
            fee_refund_amount="0.0",
            reason="fault: refund exceeds payment",
        )
        rows.append([bad[c] for c in h])
        _write_csv(f, rows)
        self.remark(f, "refunds", dt)
        self.record(
            "refund_exceeds_payment", "refunds", dt, "quarantined", "refund = 1.5 x payment + 1", f, [len(rows)]
        )

    def future_timestamps(self) -> None:
        t = self.target("events", 12)
        if not t:
            return self.skipped("future_timestamps", "events", "too few events")
        dt, f = t
        lines = f.read_text(encoding="utf-8").splitlines()
        for i in (10, 11):
            rec = json.loads(lines[i])
            rec["event_at"] = _shift(rec["event_at"], days=400)
            lines[i] = json.dumps(rec, ensure_ascii=False)
        f.write_text("\n".join(lines) + "\n", encoding="utf-8")
        self.remark(f, "events", dt)
        self.record("future_timestamps", "events", dt, "quarantined", "event_at + 400 days", f, [11, 12])

    def empty_partition(self) -> None:
        dt = self.fault_day
        d = self.part("merchant_billing", dt)
        files = data_files(d)
        header = _read_csv(files[0])[0]
        for p in files:
            p.unlink()
        _write_csv(d / "part-0000.csv", [header])
        self.remark(d, "merchant_billing", dt)
        self.record("empty_partition", "merchant_billing", dt, "loaded", "header only, no rows", d / "part-0000.csv")

    def missing_partition(self) -> None:
        dt = self.fault_day
        shutil.rmtree(self.part("content_items", dt))
        self.record("missing_partition", "content_items", dt, "load_fails", "partition folder not delivered")

    def unknown_channel(self) -> None:
        t = self.target("ad_spend")
        if not t:
            return self.skipped("unknown_channel", "ad_spend", "no ad spend")
        dt, f = t
        rows = _read_csv(f)
        new = list(rows[1])
        h = rows[0]
        new[h.index("channel")] = "tiktok_ads_cn"
        new[h.index("account_id")] = "acct_tiktok_ads_cn"
        new[h.index("campaign_id")] = "tiktok_ads_cn_c1"
        rows.append(new)
        _write_csv(f, rows)
        self.remark(f, "ad_spend", dt)
        self.record(
            "unknown_channel",
            "ad_spend",
            dt,
            "gate_stops",
            "channel tiktok_ads_cn not in the catalogue",
            f,
            [len(rows)],
        )

    def chinese_text(self) -> None:
        t = self.target("merchants", 3)
        if not t:
            return self.skipped("chinese_text", "merchants", "no merchants")
        dt, f = t
        rows = _read_csv(f)
        j = rows[0].index("merchant_name")
        rows[1][j] = '王记"老字号",面馆 🍜'
        rows[2][j] = "Café 咖啡, 第二家"
        _write_csv(f, rows)
        self.remark(f, "merchants", dt)
        self.record("chinese_text", "merchants", dt, "loaded", "quotes, commas, emoji in names", f, [2, 3])

    def non_utf8(self) -> None:
        t = self.target("merchants", 4)
        if not t:
            return self.skipped("non_utf8", "merchants", "no merchants")
        dt, f = t
        raw = f.read_bytes().split(b"\n")
        raw[3] = raw[3].replace(b",", b",\xe9t\xe9 \xff", 1)  # Latin-1 bytes inside the name
        f.write_bytes(b"\n".join(raw))
        self.remark(f, "merchants", dt)
        self.record("non_utf8", "merchants", dt, "quarantined", "Latin-1 bytes in merchant_name", f, [4])

    def long_strings(self) -> None:
        t = self.target("registrations")
        if not t:
            return self.skipped("long_strings", "registrations", "no registrations")
        dt, f = t
        lines = f.read_text(encoding="utf-8").splitlines()
        rec = json.loads(lines[0])
        rec["nickname"] = "长" * 5000
        lines[0] = json.dumps(rec, ensure_ascii=False)
        f.write_text("\n".join(lines) + "\n", encoding="utf-8")
        self.remark(f, "registrations", dt)
        self.record("long_strings", "registrations", dt, "quarantined", "5,000-character nickname", f, [1])


def inject(landing: Path, start: date, days: int, faults: list[str]) -> list[dict]:
    """Apply the named faults to what the simulator wrote and write ``_faults.json``."""
    inj = _Injector(landing, start, days)
    for name in (n for n in ORDER if n in faults):  # the safe order, whatever order they were asked in
        getattr(inj, name)()
    out = [asdict(i) for i in inj.out]
    (landing / "_faults.json").write_text(json.dumps(out, indent=1, ensure_ascii=False))
    return out


def _count(path: Path) -> int:
    from opswh.landing import count_records

    return count_records(path)


def _read_csv(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


def _write_csv(path: Path, rows: list[list[str]]) -> None:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


def _shift(ts: str, days: int = 0, seconds: int = 0) -> str:
    from datetime import datetime

    t = datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ") + timedelta(days=days, seconds=seconds)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"
