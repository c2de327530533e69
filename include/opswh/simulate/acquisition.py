"""Acquisition in the behaviour model: who registers each day, through which channel, after which
UTM-tagged visits. A mixin of ``opswh.simulate.model.Simulator``."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pyarrow as pa

from opswh.simulate.arrays import dictionary, within_group_index
from opswh.simulate.world import (
    CAMPAIGN_NAMES,
    CHANNEL_IDS,
    CHANNEL_INDEX,
    CHANNELS,
    DAY_MS,
    DIRECT_SHARE,
    DIURNAL,
    GIVEN,
    MEDIUMS,
    PLATFORMS,
    REGIONS,
    SPEND_CHANNELS,
    SURNAMES,
    WEEKDAY_REGS,
)


class Acquisition:
    """Each day's cohort: registrations and the visits that brought them."""

    def _plan_cohort(self, d: int) -> None:
        """Decide who registers on day d, and emit their registrations and earlier touches."""
        rng = self.rng(d, 1)
        date_d = self.start + timedelta(days=d)
        trend = 1.0 + 0.006 * d
        n = int(rng.poisson(self.per_day * trend * WEEKDAY_REGS[date_d.weekday()]))
        if n == 0:
            return
        w = np.array([c.weight for c in CHANNELS]) * np.exp(rng.normal(0, 0.15, len(CHANNELS)))
        w = w / w.sum() * (1 - DIRECT_SHARE)
        probs = np.append(w, DIRECT_SHARE)
        channel = rng.choice(len(CHANNELS) + 1, n, p=probs).astype(np.int16)
        channel[channel == len(CHANNELS)] = -1
        reg_ms = self.day0_ms + d * DAY_MS + (rng.choice(24, n, p=DIURNAL) * 3_600_000 + rng.integers(0, 3_600_000, n))
        q = np.array([c.order_propensity for c in CHANNELS] + [1.0])[channel]
        propensity = np.clip(rng.lognormal(0, 0.5, n) * (0.6 + 0.4 * q), 0.1, 4).astype(np.float32)
        is_test = rng.random(n) < 0.01
        campaign = (rng.random(n) < 0.4).astype(np.int8)  # which of the channel's two ad campaigns
        idx = self.users.append(
            reg_day=np.full(n, d, np.int32),
            reg_ms=reg_ms,
            channel=channel,
            campaign=campaign,
            platform=rng.choice(len(PLATFORMS), n, p=[0.38, 0.42, 0.08, 0.12]).astype(np.int8),
            region=rng.integers(0, len(REGIONS), n).astype(np.int8),
            propensity=propensity,
            is_test=is_test,
            is_creator=rng.random(n) < 0.03,
            plan=np.zeros(n, np.int8),
            renew_day=np.full(n, -1, np.int32),
            was_member=np.zeros(n, np.bool_),
            points=np.zeros(n, np.int32),
            last_active=np.full(n, d, np.int32),
        )
        # Touches: 1-3 UTM visits in the 48 hours before registration. The first is the
        # acquisition channel; a later one is another channel for a quarter of users.
        touched = channel >= 0
        t_idx = idx[touched]
        m = len(t_idx)
        k = rng.integers(1, 4, m)
        rep = np.repeat(np.arange(m), k)
        order_in_user = within_group_index(k)
        gaps = rng.exponential(6 * 3_600_000, len(rep)).astype(np.int64) + 60_000
        # earlier touches further back: cumulative gaps in reverse order
        back = np.zeros(len(rep), np.int64)
        if len(rep):
            kk = k[rep]
            rank_from_last = kk - 1 - order_in_user
            back = gaps * (rank_from_last + 1)
        back = np.minimum(back, 47 * 3_600_000)
        touch_ms = reg_ms[touched][rep] - back
        t_channel = channel[touched][rep].copy()
        switch = (order_in_user == k[rep] - 1) & (k[rep] > 1) & (rng.random(len(rep)) < 0.25)
        paid_like = np.array(SPEND_CHANNELS)
        t_channel[switch] = rng.choice(paid_like, switch.sum())
        t_camp = campaign[touched][rep]
        first_ch, last_ch = self._touch_summary(channel, touched, t_channel, rep, k)
        self._emit_visits(t_idx[rep], touch_ms, t_channel, t_camp, rng, d, anonymous=True)
        self._emit_registrations(idx, reg_ms, channel, campaign, first_ch, last_ch, rng, d)

    def _touch_summary(
        self, channel: np.ndarray, touched: np.ndarray, t_channel: np.ndarray, rep: np.ndarray, k: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        first = np.full(len(channel), -1, np.int16)
        last = np.full(len(channel), -1, np.int16)
        pos = np.flatnonzero(touched)
        if len(pos):
            starts = np.concatenate([[0], np.cumsum(k)[:-1]])
            first[pos] = t_channel[starts]
            last[pos] = t_channel[starts + k - 1]
        return first, last

    def _utm(self, ch: np.ndarray, camp: np.ndarray) -> tuple[pa.Array, pa.Array, pa.Array]:
        """UTM source, medium and campaign for channel indexes (-1: none), as dictionary arrays."""
        ch = np.asarray(ch, np.int64)
        return (
            dictionary(ch, CHANNEL_IDS),
            dictionary(ch, MEDIUMS),
            dictionary(np.where(ch >= 0, ch * 2 + np.asarray(camp, np.int64), -1), CAMPAIGN_NAMES),
        )

    def _emit_visits(
        self,
        users: np.ndarray,
        ms: np.ndarray,
        ch: np.ndarray,
        camp: np.ndarray,
        rng: np.random.Generator,
        d: int,
        anonymous: bool,
    ) -> None:
        if not len(users):
            return
        src, med, cmp_ = self._utm(ch, camp)
        n = len(users)
        self._emit_events(
            users,
            "visit",
            ms,
            ms + rng.integers(200, 5_000, n),
            anonymous=anonymous,
            page=dictionary(np.zeros(n, np.int8), ["landing"]),
            utm_source=src,
            utm_medium=med,
            utm_campaign=cmp_,
        )

    def _emit_registrations(
        self,
        idx: np.ndarray,
        reg_ms: np.ndarray,
        channel: np.ndarray,
        campaign: np.ndarray,
        first_ch: np.ndarray,
        last_ch: np.ndarray,
        rng: np.random.Generator,
        d: int,
    ) -> None:
        n = len(idx)
        fs, fm, fc = self._utm(first_ch, campaign)
        ls, lm, lc = self._utm(last_ch, campaign)
        is_ref = channel == CHANNEL_INDEX["referral_invite"]
        invite = np.where(is_ref, np.char.add("INV", (rng.integers(10_000, 99_999, n)).astype(str)), None)
        ref_urls = np.array(["https://m.example.cn/landing?utm_source=" + c for c in CHANNEL_IDS], dtype=object)
        referrer = np.where(channel >= 0, ref_urls[np.maximum(channel, 0)], None)
        nick_idx = rng.integers(0, 10_000, n)
        chinese = np.array([SURNAMES[i % 20] + GIVEN[(i // 20) % 20] for i in range(400)], dtype=object)
        nick = np.where(
            nick_idx % 3 == 0, np.char.add("user_", nick_idx.astype(str)).astype(object), chinese[nick_idx % 400]
        )
        u = self.users
        t = pa.table(
            {
                "user_idx": pa.array(idx, pa.int64()),
                "registered_ms": pa.array(reg_ms, pa.int64()),
                "platform": pa.array(np.array(PLATFORMS)[u["platform"][idx]], pa.string()),
                "region": pa.array(np.array(REGIONS)[u["region"][idx]], pa.string()),
                "nickname": pa.array(nick, pa.string()),
                "first_touch_source": fs,
                "first_touch_medium": fm,
                "first_touch_campaign": fc,
                "last_touch_source": ls,
                "last_touch_medium": lm,
                "last_touch_campaign": lc,
                "referrer": pa.array(referrer, pa.string()),
                "invite_code": pa.array(invite, pa.string()),
                "is_test": pa.array(u["is_test"][idx]),
            }
        )
        self.emit("registrations", t, d)
        # the registration itself is an app_open on the new device
        self._emit_events(
            idx, "app_open", reg_ms + 1_000, reg_ms + 2_000, page=dictionary(np.zeros(n, np.int8), ["register"])
        )
