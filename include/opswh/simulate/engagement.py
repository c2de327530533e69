"""Engagement in the behaviour model: what active users do in the app, the operations campaigns they
are treated or held out by, and the content creators publish. A mixin of
``opswh.simulate.model.Simulator``."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from opswh.simulate.arrays import dictionary
from opswh.simulate.world import (
    APP_OPEN,
    CAMPAIGN_LIST,
    CHANNEL_INDEX,
    CONTENT_CODES,
    DAY_MS,
    EVENT_MIX,
    EVENT_TYPES_MIX,
    PAGE_VIEW,
    POINTS_CHECK_IN,
    POINTS_REDEEM,
    POINTS_TASK,
    SEARCH,
    SPEND_CHANNELS,
    TASK,
    TOPICS,
    VISIT,
)


class Engagement:
    """App events, campaigns, points and content of one simulated day."""

    def _app_events(self, d: int, active: np.ndarray, rng: np.random.Generator) -> None:
        """Page views, searches, likes ... for every active user, in chunks of users."""
        u = self.users
        lam = 6.0 * np.clip(u["propensity"][active], 0.2, 3.0)
        k = 1 + rng.poisson(lam)
        probs = np.array(list(EVENT_MIX.values()))
        probs = probs / probs.sum()
        recent = self._recent_content(d)
        visit_channels = np.array(SPEND_CHANNELS + [CHANNEL_INDEX["seo"]])
        chunk_users = max(1, self.chunk_rows // 8)
        for s in range(0, len(active), chunk_users):
            users = active[s : s + chunk_users]
            kk = k[s : s + chunk_users]
            rep = np.repeat(users, kk)
            n = len(rep)
            codes = rng.choice(len(EVENT_TYPES_MIX), n, p=probs).astype(np.int8)
            codes[np.concatenate([[0], np.cumsum(kk)[:-1]])] = APP_OPEN
            ms = self._day_ms(d, n, rng)
            needs_content = np.isin(codes, CONTENT_CODES) & (rng.random(n) < 0.6)
            content = pa.nulls(n, pa.int64())
            if recent is not None and needs_content.any():
                c = np.zeros(n, np.int64)
                c[needs_content] = rng.choice(recent[0], needs_content.sum(), p=recent[1])
                content = pa.array(c, mask=~needs_content)
            is_visit = codes == VISIT
            vch = np.where(is_visit, rng.choice(visit_channels, n), -1).astype(np.int16)
            src, med, cmp_ = self._utm(vch, np.zeros(n, np.int8))
            query = dictionary(np.where(codes == SEARCH, rng.integers(0, len(TOPICS), n), -1), TOPICS)
            page = dictionary(np.where(is_visit, 0, np.where(codes == PAGE_VIEW, 1, -1)), ["landing", "content"])
            received = ms + rng.integers(100, 20_000, n)
            self._emit_events(
                rep,
                dictionary(codes, EVENT_TYPES_MIX),
                ms,
                received,
                page=page,
                content_idx=content,
                query=query,
                utm_source=src,
                utm_medium=med,
                utm_campaign=cmp_,
            )
            task_users = rep[codes == TASK]
            if len(task_users):
                np.add.at(u.cols["points"], task_users, POINTS_TASK)
                self._simple_events(d, task_users, "points_earn", rng, points=POINTS_TASK, campaign="TSK01")
            self.writer.spill(d, "events")

    def _simple_events(
        self,
        d: int,
        users: np.ndarray,
        event_type: str,
        rng: np.random.Generator,
        points: int | None = None,
        campaign: str | None = None,
        coupon: str | None = None,
    ) -> None:
        n = len(users)
        if not n:
            return
        ms = self._day_ms(d, n, rng)
        extra = {}
        if points is not None:
            extra["points"] = pa.array(np.full(n, points), pa.int64())
        if campaign is not None:
            extra["campaign_id"] = dictionary(np.zeros(n, np.int8), [campaign])
        if coupon is not None:
            extra["coupon_id"] = dictionary(np.zeros(n, np.int8), [coupon])
        self._emit_events(users, event_type, ms, ms + rng.integers(100, 5_000, n), **extra)

    def _running(self, campaign_id: str, d: int) -> bool:
        s, e = self.campaign_days[campaign_id]
        return s <= d <= e

    def _start_campaigns(self, d: int, rng: np.random.Generator) -> None:
        u = self.users
        for i, c in enumerate(CAMPAIGN_LIST):  # i seeds the assignment draw
            if self.campaign_days[c.campaign_id][0] != d:
                continue
            eligible = np.flatnonzero((u["reg_day"] < d) & ~u["is_test"])
            group = np.zeros(u.cap, np.int8)
            draw = np.random.default_rng([self.seed, 77, i]).random(len(eligible))
            group[eligible] = np.where(draw < c.holdout, 2, 1)
            self.assignment[c.campaign_id] = group
            if c.holdout == 0:
                continue  # campaigns without a holdout do not deliver assignments
            ms = self.day0_ms + d * DAY_MS + 60_000
            t = pa.table(
                {
                    "campaign_id": pa.array(np.full(len(eligible), c.campaign_id), pa.string()),
                    "user_idx": pa.array(eligible, pa.int64()),
                    "assignment_group": pa.array(np.where(group[eligible] == 2, "holdout", "treatment"), pa.string()),
                    "assigned_ms": pa.array(np.full(len(eligible), ms), pa.int64()),
                }
            )
            self.emit("campaign_assignments", t, d)

    def _treated(self, cid: str, users: np.ndarray) -> np.ndarray:
        out = np.zeros(len(users), bool)
        g = self.assignment.get(cid)
        if g is not None:
            inside = users < len(g)
            out[inside] = g[users[inside]] == 1
        return out

    def _campaign_activity(self, d: int, active: np.ndarray, rng: np.random.Generator) -> None:
        u = self.users
        if self._running("CHK01", d):
            treated = active[self._treated("CHK01", active)]
            checkin = treated[rng.random(len(treated)) < 0.55]
            first_time = checkin[rng.random(len(checkin)) < 0.08]
            self._simple_events(d, first_time, "campaign_join", rng, campaign="CHK01")
            self._simple_events(d, checkin, "check_in", rng, campaign="CHK01")
            self._simple_events(d, checkin, "points_earn", rng, points=POINTS_CHECK_IN, campaign="CHK01")
            np.add.at(u.cols["points"], checkin, POINTS_CHECK_IN)
        if self._running("CPN01", d):
            treated = active[self._treated("CPN01", active)]
            claim = treated[rng.random(len(treated)) < 0.05]
            self._simple_events(d, claim, "coupon_claim", rng, campaign="CPN01", coupon="CPN01-10")
        if self._running("CNT01", d):
            creators = active[u["is_creator"][active]]
            self._simple_events(d, creators[rng.random(len(creators)) < 0.2], "campaign_join", rng, campaign="CNT01")
            if d == self.campaign_days["CNT01"][1] and len(creators):  # the contest's prize, on its last day
                # drawn from a stream of its own, so that the rest of the day is simulated as before
                self._simple_events(d, creators[:1], "reward_granted", self.rng(d, 77), campaign="CNT01")
        rich = active[u["points"][active] >= POINTS_REDEEM]
        redeem = rich[rng.random(len(rich)) < 0.15]
        self._simple_events(d, redeem, "points_redeem", rng, points=POINTS_REDEEM)
        u.cols["points"][redeem] -= POINTS_REDEEM

    def _recent_content(self, d: int) -> tuple[np.ndarray, np.ndarray] | None:
        p = self.posts
        if p.n == 0:
            return None
        lo = max(0, p.n - 50_000)
        idx = np.arange(lo, p.n)
        age = d - p["day"][lo:]
        hot = 1.2 + np.sin(d / 5.0 + self.topic_phase[p["topic"][lo:]])
        w = p["popularity"][lo:] * hot / (1.0 + age) ** 1.5
        return idx, w / w.sum()

    def _content(self, d: int, active: np.ndarray, rng: np.random.Generator) -> None:
        u = self.users
        boost = 1.5 if self._running("CNT01", d) else 1.0
        creators = active[u["is_creator"][active]]
        ugc = creators[rng.random(len(creators)) < 0.3 * boost]
        n_pgc = int(rng.poisson(max(1, len(self.merchant_rate) // 10)))
        pgc_merchants = rng.choice(
            np.flatnonzero(self.merchant_creator | (np.arange(len(self.merchant_rate)) < 3)), n_pgc
        )
        n = len(ugc) + n_pgc
        if n == 0:
            return
        hot = 1.2 + np.sin(d / 5.0 + self.topic_phase)
        topic = rng.choice(len(TOPICS), n, p=hot / hot.sum()).astype(np.int16)
        idx = self.posts.append(
            day=np.full(n, d, np.int32), topic=topic, popularity=rng.lognormal(0, 1, n).astype(np.float32)
        )
        ms = self._day_ms(d, n, rng)
        creator = np.concatenate([np.char.add("u", ugc.astype(str)), np.char.add("m", pgc_merchants.astype(str))])
        titles = np.array([f"{TOPICS[t].split()[0]}分享 第{i}期" for i, t in zip(idx, topic)], dtype=object)
        t = pa.table(
            {
                "content_idx": pa.array(idx, pa.int64()),
                "creator_id": pa.array(creator, pa.string()),
                "content_type": pa.array(np.where(np.arange(n) < len(ugc), "UGC", "PGC"), pa.string()),
                "topic": pa.array(np.array(TOPICS)[topic], pa.string()),
                "title": pa.array(titles, pa.string()),
                "published_ms": pa.array(ms, pa.int64()),
                "is_removed": pa.array(rng.random(n) < 0.02),
            }
        )
        self.emit("content_items", t, d)
        self._simple_events(d, ugc, "post_create", rng)
