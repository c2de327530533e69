"""A deterministic simulation of an app-plus-marketplace platform that lands its exports.

The model, in one paragraph: users arrive every day through channels that differ in cost,
volume and quality (retention and spending); each user is active on a day with a
probability that decays with account age (a power law per channel) and follows weekly
seasonality; active users emit app events, place orders with merchants (Zipf-distributed),
pay, get shipped, sometimes cancel or refund later; some subscribe to a membership that
renews, upgrades, downgrades, churns and comes back; creators publish content whose topics
go viral in turns; operations campaigns treat eligible users and hold out a share, and the
check-in campaign has a real effect on ordering while the coupon campaign has none.

Everything is generated per day from ``numpy.random.default_rng([seed, day, stream])``, so the
same arguments give the same bytes. Records that happen on a later day (shipping, refunds,
renewals, visits before a registration) wait in a buffer and are written to the partition
of the day they happen. The world it draws from is ``world``; the behaviour is split by area
(``acquisition``, ``engagement``, ``commerce``, ``feedback``, mixins of ``Simulator``); ``writer`` writes the files. Memory is bounded by the user base (a few arrays) and one day's
records, written in parts of at most ``chunk_rows`` rows.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa

from opswh import config
from opswh.simulate.acquisition import Acquisition
from opswh.simulate.arrays import Columns, dictionary
from opswh.simulate.commerce import Commerce
from opswh.simulate.engagement import Engagement
from opswh.simulate.feedback import Feedback
from opswh.simulate.segment_export import export_events
from opswh.simulate.world import (
    CAMPAIGN_LIST,
    CATEGORIES,
    CHANNEL_NPS,
    CHANNELS,
    DAY_MS,
    DIURNAL,
    GIVEN,
    POINTS_UNIT_COST,
    REGIONS,
    SURNAMES,
    TOPICS,
    WEEKDAY_ACTIVITY,
    resolve_scale,
)
from opswh.simulate.writer import CHUNK_ROWS, PartWriter

__all__ = ["Simulator", "resolve_scale"]

LOOKAHEAD_DAYS = 2
# Strings stay dictionary-encoded from generation to DuckDB's writer: queuing and filtering rows
# then moves small integer codes, not the strings.
_DICT = pa.dictionary(pa.int32(), pa.string())
_PROP_FIELDS = {
    "page": _DICT,
    "content_idx": pa.int64(),
    "query": _DICT,
    "points": pa.int64(),
    "campaign_id": _DICT,
    "coupon_id": _DICT,
    "utm_source": _DICT,
    "utm_medium": _DICT,
    "utm_campaign": _DICT,
}


class Simulator(Acquisition, Engagement, Commerce, Feedback):
    """Simulates ``days`` days from ``start`` and writes them under ``landing``."""

    def __init__(
        self,
        landing: Path,
        start: date,
        days: int,
        scale: str | int = "default",
        seed: int = 7,
        events_format: str = "jsonl",
        exports: Path | None = None,
        chunk_rows: int = CHUNK_ROWS,
        progress: Callable[[date, dict[str, int]], None] | None = None,
        reporting_tz: str | None = None,
        campaign_days: dict[str, tuple[int, int]] | None = None,
    ) -> None:
        """``campaign_days`` overrides when campaigns run: campaign id -> (first, last) simulated day
        (0-based), e.g. to give a campaign a pre-period of its own length inside the history."""
        self.landing = landing
        self.start = start
        self.days = days
        self.per_day = resolve_scale(scale)
        self.seed = seed
        self.events_format = events_format
        # "segment": the events go to a Segment export under `exports`, not to the landing
        if events_format == "segment" and exports is None:
            raise ValueError("events_format='segment' needs the exports folder")
        self.exports = exports
        self.chunk_rows = chunk_rows
        self.progress = progress
        # the source systems cut their daily exports at the warehouse's reporting midnight
        tz = ZoneInfo(reporting_tz or config.load().reporting_tz)
        start_local = datetime(start.year, start.month, start.day, tzinfo=tz)
        self.offset_ms = int(start_local.utcoffset().total_seconds() * 1000)  # type: ignore[union-attr]
        # epoch ms (UTC) of the local midnight that starts day 0
        self.day0_ms = int(start_local.timestamp() * 1000)
        self.writer = PartWriter(
            landing, start, days, "jsonl" if events_format == "segment" else events_format, chunk_rows
        )
        self.users = Columns(
            reg_day=np.int32,
            reg_ms=np.int64,
            channel=np.int16,
            campaign=np.int8,
            platform=np.int8,
            region=np.int8,
            propensity=np.float32,
            is_test=np.bool_,
            is_creator=np.bool_,
            plan=np.int8,
            renew_day=np.int32,
            was_member=np.bool_,
            points=np.int32,
            last_active=np.int32,
            nps_last=np.int8,  # the latest NPS score + 1 (0: never answered)
            ticket_until=np.int32,  # the day the user's open ticket is resolved (0: none open)
        )
        self.posts = Columns(day=np.int32, topic=np.int16, popularity=np.float32)
        self.order_seq = 0
        self._id_counter = 0
        self._prev_spend: list[dict] = []
        self.stats = {"events": 0, "rows": 0}
        n_merchants = max(20, int(self.per_day**0.75 * 4))
        rng = np.random.default_rng([seed, 999_999])
        self.merchant_category = rng.integers(0, len(CATEGORIES), n_merchants)
        self.merchant_rate = rng.choice([0.02, 0.03, 0.05, 0.08], n_merchants, p=[0.2, 0.4, 0.3, 0.1])
        self.merchant_joined = np.minimum(rng.integers(-400, days, n_merchants), days - 1)
        self.merchant_joined[: max(5, n_merchants // 2)] = -400
        self.merchant_creator = rng.random(n_merchants) < 0.15
        weights = 1.0 / np.arange(1, n_merchants + 1) ** 1.1
        self.merchant_weight = weights / weights.sum()
        self.merchant_names = [self._merchant_name(rng, i) for i in range(n_merchants)]
        self.topic_phase = rng.random(len(TOPICS)) * 2 * np.pi
        self.campaign_days = {
            c.campaign_id: (int(c.start_frac * days), max(int(c.start_frac * days), int(c.end_frac * days) - 1))
            for c in CAMPAIGN_LIST
        } | (campaign_days or {})
        self.assignment: dict[str, np.ndarray] = {}  # campaign -> per-user group (0 none, 1 treat, 2 holdout)
        self.truth: dict[str, object] = {}

    # ------------------------------------------------------------------ helpers

    @staticmethod
    def _merchant_name(rng: np.random.Generator, i: int) -> str:
        prefix = SURNAMES[i % len(SURNAMES)] + GIVEN[(i * 7) % len(GIVEN)]
        suffix = ["旗舰店", "小店", "专营店", "Official Store", "工作室"][i % 5]
        return f"{prefix}{suffix} #{i}"

    def rng(self, day: int, stream: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, day + 10_000, stream])

    def day_of_ms(self, ms: np.ndarray) -> np.ndarray:
        return ((ms - self.day0_ms) // DAY_MS).astype(np.int64)

    def emit(self, feed: str, table: pa.Table, day_col: np.ndarray | int) -> None:
        """Queue rows for the partitions of the given day indexes (beyond the range: dropped)."""
        if isinstance(day_col, int):
            self.writer.queue(feed, table, day_col)
            return
        days = np.asarray(day_col)
        for d in np.unique(days):
            if 0 <= d < self.days:
                self.writer.queue(feed, table.filter(pa.array(days == d)), int(d))

    # ------------------------------------------------------------------ the day loop

    def run(self) -> dict[str, object]:
        """Simulate every day. Files are written by one writer thread behind the generator (DuckDB
        releases the GIL), so generating a day overlaps writing the previous one."""
        t0 = time.perf_counter()
        finished = False
        try:
            for d in range(min(LOOKAHEAD_DAYS, self.days)):
                self._plan_cohort(d)
            for d in range(self.days):
                if d + LOOKAHEAD_DAYS < self.days:
                    self._plan_cohort(d + LOOKAHEAD_DAYS)
                self._simulate_day(d)
                counts = self.writer.flush(d)
                self.stats["rows"] += sum(counts.values())
                self.stats["events"] += counts["events"]
                if self.progress:
                    self.progress(self.start + timedelta(days=d), counts)
            finished = True
        finally:
            self.writer.close(wait=finished)
        if self.events_format == "segment":
            export_events(self.landing, self.exports, self.start, self.days)
        self.stats["seconds"] = round(time.perf_counter() - t0, 3)
        self.truth["campaigns"] = {
            c.campaign_id: {
                "order_effect": c.order_effect,
                "holdout_share": c.holdout,
                "start_date": str(self.start + timedelta(days=s)),
                "end_date": str(self.start + timedelta(days=e)),
            }
            for c, (s, e) in ((c, self.campaign_days[c.campaign_id]) for c in CAMPAIGN_LIST)
        }
        self.truth["channels"] = {
            c.id: {
                "weight": c.weight,
                "cpa": c.cpa,
                "activity": c.activity,
                "decay": c.decay,
                "order_propensity": c.order_propensity,
                "nps_mean": CHANNEL_NPS[c.id],
            }
            for c in CHANNELS
        }
        self.truth["stats"] = self.stats
        (self.landing / "_truth.json").write_text(json.dumps(self.truth, indent=2, ensure_ascii=False))
        return self.stats

    def _emit_events(
        self,
        users: np.ndarray,
        event_type: pa.Array | str,
        ms: np.ndarray,
        received: np.ndarray,
        anonymous: bool = False,
        **props: pa.Array,
    ) -> None:
        """Queue events; every event carries the same property fields (absent ones are null).

        A logged-in event never precedes its user's registration: one drawn earlier in the day of
        registration happens just after it instead (anonymous visits before it are the touches)."""
        n = len(users)
        if not n:
            return
        if not anonymous:
            registered_ms = self.users["reg_ms"][users]
            shift = np.where(ms <= registered_ms, registered_ms + 1_000 + ms % 600_000 - ms, 0)
            ms, received = ms + shift, received + shift
        if isinstance(event_type, str):
            event_type = dictionary(np.zeros(n, np.int8), [event_type])
        cols = {"p_" + name: props.get(name, pa.nulls(n, typ)) for name, typ in _PROP_FIELDS.items()}
        seq = self._seq(n)
        t = pa.table(
            {
                "event_seq": pa.array(seq),
                "user_idx": pa.array(np.full(n, -1) if anonymous else users, pa.int64()),
                "device_idx": pa.array(users, pa.int64()),
                "event_type": event_type,
                "event_ms": pa.array(ms, pa.int64()),
                "received_ms": pa.array(received, pa.int64()),
                **{k: v if v.type == _PROP_FIELDS[k[2:]] else v.cast(_PROP_FIELDS[k[2:]]) for k, v in cols.items()},
            }
        )
        self.emit("events", t, self.day_of_ms(received))

    def _seq(self, n: int) -> np.ndarray:
        start = self._id_counter
        self._id_counter += n
        return start + np.arange(n, dtype=np.int64)

    def _simulate_day(self, d: int) -> None:
        rng = self.rng(d, 2)
        date_d = self.start + timedelta(days=d)
        u = self.users
        registered = np.flatnonzero(u["reg_day"] < d)  # today's cohort is active by registering
        age = d - u["reg_day"][registered]
        ch = u["channel"][registered]
        base = np.array([c.activity for c in CHANNELS] + [0.45])[ch]
        decay = np.array([c.decay for c in CHANNELS] + [0.5])[ch]
        p = base * np.power(age + 0.0, -decay) * WEEKDAY_ACTIVITY[date_d.weekday()]
        p = p * np.clip(0.75 + 0.25 * u["propensity"][registered], 0.5, 1.6) * self.feedback_activity(d, registered)
        active_old = registered[rng.random(len(registered)) < np.clip(p, 0, 0.95)]
        new_today = np.flatnonzero(u["reg_day"] == d)
        active = np.concatenate([active_old, new_today])
        u.cols["last_active"][active] = d
        self._start_campaigns(d, rng)
        self._app_events(d, active, rng)
        self._campaign_activity(d, active, rng)
        self._content(d, active, rng)
        self._orders(d, active, rng)
        self._memberships(d, active, rng)
        self._profile_updates(d, active, rng)
        self._reference(d)
        self._ad_spend(d, new_today, rng)
        self._acquisition_costs(d, new_today)
        self._merchant_billing(d, rng)
        self._feedback(d, active, self.rng(d, 3))

    def _day_ms(self, d: int, n: int, rng: np.random.Generator) -> np.ndarray:
        return self.day0_ms + d * DAY_MS + rng.choice(24, n, p=DIURNAL) * 3_600_000 + rng.integers(0, 3_600_000, n)

    # ------------------------------------------------------------------ users and reference

    def _profile_updates(self, d: int, active: np.ndarray, rng: np.random.Generator) -> None:
        u = self.users
        movers = active[rng.random(len(active)) < 0.004]
        n = len(movers)
        if not n:
            return
        flag = rng.random(n) < 0.05  # found to be internal accounts
        u.cols["is_test"][movers[flag]] = True
        t = pa.table(
            {
                "user_idx": pa.array(movers, pa.int64()),
                "updated_ms": pa.array(self._day_ms(d, n, rng), pa.int64()),
                "nickname": pa.array(
                    np.where(rng.random(n) < 0.5, np.char.add("新昵称", movers.astype(str)), None), pa.string()
                ),
                "region": pa.array(np.array(REGIONS, dtype=object)[rng.integers(0, len(REGIONS), n)], pa.string()),
                "is_test": pa.array(np.where(flag, True, None), pa.bool_()),
            }
        )
        self.emit("profile_updates", t, d)

    def _reference(self, d: int) -> None:
        cat = pa.table(
            {
                "channel": [c.id for c in CHANNELS],
                "channel_name": [c.name for c in CHANNELS],
                "channel_type": [c.type for c in CHANNELS],
                "channel_group": [c.group for c in CHANNELS],
                "cost_model": [c.cost_model for c in CHANNELS],
                "is_paid": [c.is_paid for c in CHANNELS],
                "native_timezone": [c.tz for c in CHANNELS],
            }
        )
        self.emit("channel_catalog", cat, d)
        live = np.flatnonzero(self.merchant_joined <= d)
        m = pa.table(
            {
                "merchant_idx": pa.array(live, pa.int64()),
                "merchant_name": pa.array([self.merchant_names[i] for i in live], pa.string()),
                "category": pa.array(np.array(CATEGORIES)[self.merchant_category[live]], pa.string()),
                "commission_rate": pa.array(self.merchant_rate[live]),
                "joined_date": pa.array(
                    [self.start + timedelta(days=int(j)) for j in self.merchant_joined[live]], pa.date32()
                ),
                "is_creator": pa.array(self.merchant_creator[live]),
            }
        )
        self.emit("merchants", m, d)
        rows = []
        for c in CAMPAIGN_LIST:
            s, e = self.campaign_days[c.campaign_id]
            rows.append(
                {
                    "campaign_id": c.campaign_id,
                    "campaign_name": c.name,
                    "campaign_type": c.type,
                    "budget": c.budget,
                    "start_date": self.start + timedelta(days=s),
                    "end_date": self.start + timedelta(days=e),
                    "eligibility": "registered before the start date, not a test account",
                    "holdout_share": c.holdout,
                    "reward_cost": c.reward_cost,
                    "points_unit_cost": POINTS_UNIT_COST,
                }
            )
        self.emit("campaigns", pa.Table.from_pylist(rows), d)
