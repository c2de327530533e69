"""One bad row must not block a day: a payment quarantined upstream (a negative amount) and a
refund of that order leave the order refunded above what was loaded as paid. The build goes on and
publishes, and the run summary's dbt warnings name the check, instead of an error stopping the day."""

from __future__ import annotations

import csv
from datetime import timedelta

import duckdb

from opswh import contract
from opswh.days import DayRange
from opswh.ingest import load_partition
from opswh.landing import write_marker
from opswh.pipeline import dbt_build
from tests.support import START, simulate


def test_a_refund_of_a_quarantined_payment_warns_and_the_day_builds(tmp_path, monkeypatch) -> None:
    paths = simulate(tmp_path, days=2, scale="tiny")
    monkeypatch.setenv("OPSWH_DATA_DIR", str(paths.root))
    day1, day2 = START, START + timedelta(days=1)
    pay = paths.partition("payments", day1) / "part-0000.csv"
    rows = list(csv.reader(pay.open(encoding="utf-8")))
    header, victim = rows[0], dict(zip(rows[0], rows[1], strict=True))
    rows[1][header.index("amount")] = "-" + victim["amount"]  # quarantined: a negative amount
    with pay.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    write_marker(pay.parent, "payments", day1)
    ref = paths.partition("refunds", day2) / "part-0000.csv"
    refunds = list(csv.reader(ref.open(encoding="utf-8")))
    line = dict.fromkeys(refunds[0], "")
    line.update(
        refund_id="r_of_quarantined",
        order_id=victim["order_id"],
        refunded_at=f"{day2}T03:00:00Z",
        currency=victim["currency"],
        amount="1.00",
        paid_amount=victim["amount"],
        fee_refund_amount="0.0",
    )
    refunds.append([line[c] for c in refunds[0]])
    with ref.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(refunds)
    write_marker(ref.parent, "refunds", day2)
    with duckdb.connect(str(paths.warehouse)) as con:
        for d in (day1, day2):
            for feed in contract.FEEDS:
                load_partition(con, paths, feed.name, d, max_reject_share=0.5)
        assert con.execute("select count(*) from raw.raw_rejects where feed = 'payments'").fetchone()[0] == 1
    out = dbt_build(paths, DayRange(day1, day2), run_id="bad-row")
    assert any(w.startswith("orders_refunds_never_exceed_what_was_paid") for w in out["warnings"]), out
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        refunded, paid = con.execute(
            "select refunded_amount, paid_amount from marts.fct_orders where order_id = ?", [victim["order_id"]]
        ).fetchone()
    assert float(refunded) == 1.0 and float(paid) == 0.0
