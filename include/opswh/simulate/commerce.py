"""The money side of the behaviour model: orders, payments and refunds, memberships, merchant billing
and ad spend. A mixin of ``opswh.simulate.model.Simulator`` (it uses the simulator's population,
random streams and ``emit``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import pyarrow as pa

from opswh.simulate.arrays import within_group_index
from opswh.simulate.world import (
    CAMPAIGN,
    CATEGORIES,
    CHANNEL_INDEX,
    CHANNELS,
    DAY_MS,
    PLAN_PRICES,
    SPEND_CHANNELS,
    USD_CHANNELS,
    USD_RATE,
)


@dataclass
class _DayOrders:
    """The orders placed on one simulated day, and what happens to each of them later."""

    ids: np.ndarray
    buyers: np.ndarray
    merchant: np.ndarray
    gmv: np.ndarray
    discount: np.ndarray
    coupon: np.ndarray
    campaign: np.ndarray
    commission: np.ndarray
    placed: np.ndarray
    cancelled: np.ndarray
    paid_ms: np.ndarray
    pay_amount: np.ndarray
    fee: np.ndarray
    shipped_ms: np.ndarray
    completed_ms: np.ndarray
    refunded: np.ndarray
    refund_ms: np.ndarray
    refund_amount: np.ndarray


class Commerce:
    """Orders, memberships, merchant billing and ad spend of one simulated day."""

    def _orders(self, d: int, active: np.ndarray, rng: np.random.Generator) -> None:
        """The day's orders: who buys, then each order's versions, lines, payment and refund."""
        orders = self._place_orders(d, active, rng)
        if orders is None:
            return
        self._emit_order_versions(orders, rng)
        self._emit_order_items(d, orders, rng)
        self._emit_payments(orders, rng)
        self._emit_refunds(orders, rng)

    def _place_orders(self, d: int, active: np.ndarray, rng: np.random.Generator) -> _DayOrders | None:
        """Who orders today, from which merchant, for how much, and what happens to each order later."""
        u = self.users
        ch = u["channel"][active]
        q = np.array([c.order_propensity for c in CHANNELS] + [1.0])[ch]
        p = 0.045 * q * np.clip(u["propensity"][active], 0.2, 3.0)
        if self._running("CHK01", d):
            p = np.where(self._treated("CHK01", active), p * CAMPAIGN["CHK01"].order_effect, p)
        buyers = active[rng.random(len(active)) < np.clip(p, 0, 0.9)]
        n = len(buyers)
        if n == 0:
            return None
        ids = self.order_seq + np.arange(n)
        self.order_seq += n
        merchant = rng.choice(len(self.merchant_weight), n, p=self.merchant_weight)
        merchant = np.where(self.merchant_joined[merchant] <= d, merchant, 0)
        gmv = np.round(rng.lognormal(4.4, 0.75, n), 2)
        discount = np.zeros(n)
        coupon = np.full(n, None, dtype=object)
        campaign = np.full(n, None, dtype=object)
        if self._running("CPN01", d):
            use = self._treated("CPN01", buyers) & (rng.random(n) < 0.35) & (gmv > 30)
            discount[use] = CAMPAIGN["CPN01"].reward_cost
            coupon[use] = "CPN01-10"
            campaign[use] = "CPN01"
        promo = (discount == 0) & (rng.random(n) < 0.08)
        discount[promo] = np.round(gmv[promo] * 0.05, 2)
        commission = np.round(gmv * self.merchant_rate[merchant], 2)
        placed = self._day_ms(d, n, rng)
        cancelled = rng.random(n) < 0.04
        paid_ms = placed + rng.integers(30_000, 900_000, n)
        pay_amount = np.round(gmv - discount, 2)
        shipped_ms = paid_ms + rng.integers(6, 40, n) * 3_600_000
        completed_ms = shipped_ms + rng.integers(24, 96, n) * 3_600_000
        refunded = ~cancelled & (rng.random(n) < 0.06)
        refund_ms = paid_ms + rng.integers(1, 12, n) * DAY_MS + rng.integers(0, DAY_MS // 2, n)
        full = rng.random(n) < 0.6
        refund_amount = np.where(full, pay_amount, np.round(pay_amount * rng.uniform(0.2, 0.8, n), 2))
        return _DayOrders(
            ids, buyers, merchant, gmv, discount, coupon, campaign, commission, placed, cancelled, paid_ms,
            pay_amount, np.round(pay_amount * 0.006, 2), shipped_ms, completed_ms, refunded, refund_ms, refund_amount,
        )  # fmt: skip

    def _emit_order_versions(self, o: _DayOrders, rng: np.random.Generator) -> None:
        """A full header row each time an order changes status, in the partition of that day."""

        def version(mask: np.ndarray, status: str, at: np.ndarray) -> None:
            if not mask.any():
                return
            t = pa.table(
                {
                    "order_idx": pa.array(o.ids[mask], pa.int64()),
                    "user_idx": pa.array(o.buyers[mask], pa.int64()),
                    "merchant_idx": pa.array(o.merchant[mask], pa.int64()),
                    "status": pa.array(np.full(mask.sum(), status), pa.string()),
                    "placed_ms": pa.array(o.placed[mask], pa.int64()),
                    "updated_ms": pa.array(at[mask], pa.int64()),
                    "gmv_amount": pa.array(o.gmv[mask]),
                    "discount_amount": pa.array(o.discount[mask]),
                    "coupon_id": pa.array(o.coupon[mask], pa.string()),
                    "campaign_id": pa.array(o.campaign[mask], pa.string()),
                    "commission_amount": pa.array(o.commission[mask]),
                    "fee_amount": pa.array(np.where(o.cancelled[mask], 0.0, o.fee[mask])),
                }
            )
            self.emit("orders", t, self.day_of_ms(at[mask]))

        n = len(o.ids)
        version(np.ones(n, bool), "placed", o.placed)
        version(o.cancelled, "cancelled", o.placed + rng.integers(60_000, 3_600_000, n))
        ok = ~o.cancelled
        version(ok, "paid", o.paid_ms)
        version(ok, "shipped", o.shipped_ms)
        version(ok & ~o.refunded, "completed", o.completed_ms)
        version(o.refunded, "refunded", o.refund_ms)

    def _emit_order_items(self, d: int, o: _DayOrders, rng: np.random.Generator) -> None:
        """1-3 lines per order, their prices adding up to the order's GMV."""
        n = len(o.ids)
        k = rng.integers(1, 4, n)
        rep = np.repeat(np.arange(n), k)
        share = rng.random(len(rep)) + 0.2
        tot = np.bincount(rep, share)
        qty = rng.integers(1, 3, len(rep))
        unit = np.round(o.gmv[rep] * share / tot[rep] / qty, 2)
        category = np.array(CATEGORIES)[self.merchant_category[o.merchant][rep]]
        sku = np.char.add(np.char.add(category, "-"), (rng.integers(1, 500, len(rep))).astype(str))
        items = pa.table(
            {
                "order_idx": pa.array(o.ids[rep], pa.int64()),
                "line_number": pa.array(within_group_index(k) + 1, pa.int32()),
                "sku": pa.array(sku, pa.string()),
                "category": pa.array(category, pa.string()),
                "quantity": pa.array(qty, pa.int32()),
                "unit_price": pa.array(unit),
            }
        )
        self.emit("order_items", items, d)

    def _emit_payments(self, o: _DayOrders, rng: np.random.Generator) -> None:
        ok = ~o.cancelled
        pay = pa.table(
            {
                "order_idx": pa.array(o.ids[ok], pa.int64()),
                "user_idx": pa.array(o.buyers[ok], pa.int64()),
                "paid_ms": pa.array(o.paid_ms[ok], pa.int64()),
                "amount": pa.array(o.pay_amount[ok]),
                "method": pa.array(
                    rng.choice(["alipay", "wechat_pay", "card"], ok.sum(), p=[0.5, 0.45, 0.05]), pa.string()
                ),
            }
        )
        self.emit("payments", pay, self.day_of_ms(o.paid_ms[ok]))

    def _emit_refunds(self, o: _DayOrders, rng: np.random.Generator) -> None:
        r = o.refunded
        ref = pa.table(
            {
                "order_idx": pa.array(o.ids[r], pa.int64()),
                "refunded_ms": pa.array(o.refund_ms[r], pa.int64()),
                "amount": pa.array(o.refund_amount[r]),
                "paid_amount": pa.array(o.pay_amount[r]),
                "fee_refund_amount": pa.array(
                    np.round(o.fee[r] * o.refund_amount[r] / np.maximum(o.pay_amount[r], 0.01), 2)
                ),
                "reason": pa.array(
                    rng.choice(
                        ["质量问题 quality", "不想要了 changed mind", "发错货 wrong item", "late delivery"], r.sum()
                    ),
                    pa.string(),
                ),
            }
        )
        self.emit("refunds", ref, self.day_of_ms(o.refund_ms[r]))

    def _memberships(self, d: int, active: np.ndarray, rng: np.random.Generator) -> None:
        u = self.users
        rows: list[tuple[np.ndarray, str, np.ndarray]] = []
        plan = u.cols["plan"]
        # renewals due today
        due = np.flatnonzero((u["renew_day"] == d) & (u["plan"] > 0))
        r = rng.random(len(due))
        cancel = due[r < 0.10]
        upgrade = due[(r >= 0.10) & (r < 0.15) & (plan[due] == 1)]
        downgrade = due[(r >= 0.15) & (r < 0.19) & (plan[due] == 2)]
        renew = np.setdiff1d(due, np.concatenate([cancel, upgrade, downgrade]))
        rows.append((cancel, "cancel", plan[cancel].copy()))
        plan[cancel] = 0
        u.cols["renew_day"][cancel] = -1
        plan[upgrade] = 2
        plan[downgrade] = 1
        rows += [
            (upgrade, "upgrade", plan[upgrade].copy()),
            (downgrade, "downgrade", plan[downgrade].copy()),
            (renew, "renew", plan[renew].copy()),
        ]
        for users in (upgrade, downgrade, renew):
            u.cols["renew_day"][users] = d + np.where(plan[users] == 3, 365, 30)
        # new subscriptions and reactivations among today's active non-members
        candidates = active[plan[active] == 0]
        p = np.where(u["was_member"][candidates], 0.02, 0.002)
        subs = candidates[rng.random(len(candidates)) < p]
        new_plan = rng.choice([1, 2, 3], len(subs), p=[0.6, 0.3, 0.1]).astype(np.int8)
        plan[subs] = new_plan
        u.cols["was_member"][subs] = True
        u.cols["renew_day"][subs] = d + np.where(new_plan == 3, 365, 30)
        rows.append((subs, "subscribe", new_plan))
        users = np.concatenate([r[0] for r in rows])
        if not len(users):
            return
        etype = np.concatenate([np.full(len(r[0]), r[1]) for r in rows])
        plans = np.concatenate([r[2] for r in rows])
        names = np.array(["none"] + [PLAN_PRICES[i][0] for i in (1, 2, 3)])[plans]
        price = np.array([0.0] + [PLAN_PRICES[i][1] for i in (1, 2, 3)])[plans]
        months = np.array([1, 1, 1, 12])[plans]
        price = np.where(etype == "cancel", 0.0, price)
        ms = self._day_ms(d, len(users), rng)
        t = pa.table(
            {
                "billing_seq": pa.array(self._seq(len(users))),
                "user_idx": pa.array(users, pa.int64()),
                "event_type": pa.array(etype, pa.string()),
                "plan": pa.array(names, pa.string()),
                "amount": pa.array(price),
                "period_months": pa.array(months, pa.int32()),
                "occurred_ms": pa.array(ms, pa.int64()),
            }
        )
        self.emit("memberships", t, d)

    def _merchant_billing(self, d: int, rng: np.random.Generator) -> None:
        live = np.flatnonzero(self.merchant_joined <= d)
        buyers = live[rng.random(len(live)) < 0.08]
        n = len(buyers)
        if not n:
            return
        service = rng.choice(["advertising", "value_added"], n, p=[0.7, 0.3])
        amount = np.round(
            np.where(service == "advertising", rng.lognormal(5.0, 0.8, n), rng.choice([99.0, 299.0], n)), 2
        )
        t = pa.table(
            {
                "billing_seq": pa.array(self._seq(n)),
                "merchant_idx": pa.array(buyers, pa.int64()),
                "service_type": pa.array(service, pa.string()),
                "billed_date": pa.array([self.start + timedelta(days=d)] * n, pa.date32()),
                "amount": pa.array(amount),
            }
        )
        self.emit("merchant_billing", t, d)

    def _acquisition_costs(self, d: int, new_today: np.ndarray) -> None:
        """Non-media acquisition costs, drawn from nothing random: a partner fee per registration the
        partner brought, a daily offline promotion budget, a new-user coupon per registration."""
        day = self.start + timedelta(days=d)
        partner = int((self.users["channel"][new_today] == CHANNEL_INDEX["partner_bank"]).sum())
        rows = [
            {
                "cost_id": f"pf-{day}",
                "cost_date": day,
                "cost_type": "partner_fee",
                "channel": "partner_bank",
                "currency": "CNY",
                "amount": round(8.0 * partner, 2),
            },
            {
                "cost_id": f"op-{day}",
                "cost_date": day,
                "cost_type": "offline_promotion",
                "channel": "offline_ground",
                "currency": "CNY",
                "amount": 1500.0,
            },
            {
                "cost_id": f"nc-{day}",
                "cost_date": day,
                "cost_type": "new_user_coupon",
                "channel": None,
                "currency": "CNY",
                "amount": round(5.0 * len(new_today), 2),
            },
        ]
        self.emit("acquisition_costs", pa.Table.from_pylist(rows), d)

    def _ad_spend(self, d: int, new_today: np.ndarray, rng: np.random.Generator) -> None:
        """Spend follows the registrations a channel bought (CPA with noise), split over two campaigns."""
        u = self.users
        ch = u["channel"][new_today]
        camp = u["campaign"][new_today]
        rows = []
        for ci in SPEND_CHANNELS:
            c = CHANNELS[ci]
            for k in (0, 1):
                regs = int(((ch == ci) & (camp == k)).sum())
                spend_cny = max(0.0, (regs + rng.poisson(2)) * c.cpa * float(rng.lognormal(0, 0.12)))
                usd = c.id in USD_CHANNELS
                spend = round(spend_cny / USD_RATE if usd else spend_cny, 2)
                impressions = int(spend_cny / c.cpm * 1000) if c.cpm else 0
                clicks = int(impressions * c.ctr * float(rng.uniform(0.8, 1.2))) if impressions else 0
                rows.append(
                    {
                        "stat_date": self.start + timedelta(days=d),
                        "channel": c.id,
                        "account_id": f"acct_{c.id}",
                        "campaign_id": f"{c.id}_c{k + 1}",
                        "currency": "USD" if usd else "CNY",
                        "spend": spend,
                        "impressions": impressions,
                        "clicks": min(clicks, impressions),
                        "conversions": int(regs * float(rng.uniform(0.9, 1.3))),
                    }
                )
        # restatement: a platform re-sends yesterday's figures for one campaign, slightly corrected
        prev = self._prev_spend
        if prev:
            r = dict(prev[int(rng.integers(0, len(prev)))])
            r["spend"] = round(r["spend"] * 1.03, 2)
            r["clicks"] = int(r["clicks"] * 1.02) if r["clicks"] * 1.02 <= r["impressions"] else r["clicks"]
            rows.append(r)
        self._prev_spend = [r for r in rows if r["stat_date"] == self.start + timedelta(days=d)]
        self.emit("ad_spend", pa.Table.from_pylist(rows), d)
