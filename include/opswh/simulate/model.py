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
of the day they happen. Memory is bounded by the user base (a few arrays) and one day's
records, written in chunks of at most ``CHUNK_ROWS`` rows per part file.
"""

from __future__ import annotations

import json
import shutil
import time
from collections import defaultdict, deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import numpy as np
import pyarrow as pa

from opswh import contract
from opswh.landing import write_marker
from opswh.settings import PARQUET_WRITE_OPTIONS, REPORTING_TZ

SCALES = {"tiny": 30, "small": 200, "default": 2_000, "large": 100_000}
CHUNK_ROWS = 1_000_000  # records per part file, as exporters roll their files
# Writes queued behind the generator: each holds at most one part, so memory stays bounded.
MAX_PENDING_WRITES = 2
LOOKAHEAD_DAYS = 2
DAY_MS = 86_400_000

# channel, name, type, group, cost model, is_paid, tz, weight, cpa (CNY), base activity,
# decay, order propensity, ctr, cpm
CHANNELS = [
    (
        "sem_baidu",
        "百度搜索 Baidu SEM",
        "sem",
        "paid",
        "cpc",
        True,
        "Asia/Shanghai",
        0.14,
        38.0,
        0.50,
        0.45,
        1.30,
        0.040,
        30.0,
    ),
    (
        "sem_google",
        "Google Ads",
        "sem",
        "paid",
        "cpc",
        True,
        "America/Los_Angeles",
        0.03,
        65.0,
        0.45,
        0.45,
        1.40,
        0.035,
        45.0,
    ),
    (
        "social_douyin",
        "抖音 Douyin ads",
        "social_ads",
        "paid",
        "cpm",
        True,
        "Asia/Shanghai",
        0.16,
        24.0,
        0.38,
        0.60,
        0.80,
        0.012,
        18.0,
    ),
    (
        "social_wechat",
        "微信朋友圈 WeChat Moments",
        "social_ads",
        "paid",
        "cpm",
        True,
        "Asia/Shanghai",
        0.10,
        30.0,
        0.45,
        0.50,
        1.00,
        0.015,
        25.0,
    ),
    (
        "feed_toutiao",
        "今日头条 Toutiao feed",
        "feed_ads",
        "paid",
        "cpc",
        True,
        "Asia/Shanghai",
        0.08,
        20.0,
        0.33,
        0.65,
        0.70,
        0.010,
        12.0,
    ),
    (
        "feed_kuaishou",
        "快手 Kuaishou feed",
        "feed_ads",
        "paid",
        "cpm",
        True,
        "Asia/Shanghai",
        0.06,
        18.0,
        0.30,
        0.70,
        0.60,
        0.011,
        10.0,
    ),
    (
        "content_kol",
        "KOL content",
        "content",
        "paid",
        "fixed",
        True,
        "Asia/Shanghai",
        0.05,
        45.0,
        0.55,
        0.40,
        1.20,
        0.020,
        40.0,
    ),
    ("seo", "SEO", "seo", "organic", "none", False, "Asia/Shanghai", 0.08, 0.0, 0.50, 0.45, 1.10, 0.0, 0.0),
    (
        "referral_invite",
        "邀请有礼 Invite a friend",
        "referral",
        "referral",
        "cpa",
        False,
        "Asia/Shanghai",
        0.08,
        10.0,
        0.60,
        0.35,
        1.30,
        0.0,
        0.0,
    ),
    (
        "app_store",
        "App Store / 应用商店",
        "app_store",
        "organic",
        "none",
        False,
        "Asia/Shanghai",
        0.06,
        0.0,
        0.48,
        0.45,
        1.00,
        0.0,
        0.0,
    ),
    (
        "offline_ground",
        "地推 Offline ground promotion",
        "offline",
        "offline",
        "fixed",
        False,
        "Asia/Shanghai",
        0.03,
        15.0,
        0.28,
        0.75,
        0.60,
        0.0,
        0.0,
    ),
    (
        "partner_bank",
        "银行联名 Bank partner",
        "partner",
        "partner",
        "cpa",
        False,
        "Asia/Shanghai",
        0.03,
        20.0,
        0.42,
        0.50,
        1.50,
        0.0,
        0.0,
    ),
]
DIRECT_SHARE = 0.10  # users with no touch at all
CHANNEL_IDS = [c[0] for c in CHANNELS]
MEDIUM = {
    "sem": "cpc",
    "social_ads": "social",
    "feed_ads": "feed",
    "content": "content",
    "seo": "organic",
    "referral": "referral",
    "app_store": "app_store",
    "offline": "offline",
    "partner": "partner",
}
SPEND_CHANNELS = [i for i, c in enumerate(CHANNELS) if c[8] > 0]
USD_CHANNELS = {"sem_google"}
USD_RATE = 7.10  # matches dbt_project/seeds/fx_rates.csv

CATEGORIES = ["apparel", "beauty", "digital", "food", "home", "mother_baby", "sports", "books"]
TOPICS = [
    "穿搭 outfits",
    "美妆 makeup",
    "数码 gadgets",
    "美食 food",
    "家居 home",
    "旅行 travel",
    "健身 fitness",
    "读书 reading",
    "萌宠 pets",
    "游戏 games",
]
REGIONS = ["广东", "浙江", "江苏", "北京", "上海", "四川", "山东", "湖北", "福建", "河南"]
PLATFORMS = list(contract.PLATFORMS)
PLAN_PRICES = {1: ("basic_monthly", 15.0, 1), 2: ("plus_monthly", 30.0, 1), 3: ("plus_yearly", 288.0, 12)}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚"

# Event mix for an active user's events after their first app_open.
EVENT_MIX = {
    "page_view": 0.42,
    "app_open": 0.12,
    "search": 0.10,
    "add_to_cart": 0.07,
    "like": 0.13,
    "comment": 0.04,
    "share": 0.03,
    "task_complete": 0.04,
    "visit": 0.05,
}
DIURNAL = np.array(
    [
        1,
        0.6,
        0.4,
        0.3,
        0.3,
        0.5,
        1.2,
        2.2,
        3.0,
        3.0,
        3.2,
        3.6,
        4.0,
        3.6,
        3.2,
        3.2,
        3.4,
        3.6,
        4.2,
        5.0,
        5.6,
        5.6,
        4.4,
        2.4,
    ]
)
DIURNAL = DIURNAL / DIURNAL.sum()
EVENT_TYPES_MIX = list(EVENT_MIX)
APP_OPEN, VISIT, SEARCH, PAGE_VIEW, TASK = (
    EVENT_TYPES_MIX.index(t) for t in ("app_open", "visit", "search", "page_view", "task_complete")
)
CONTENT_CODES = [EVENT_TYPES_MIX.index(t) for t in ("page_view", "like", "comment", "share")]
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
_MEDIUMS = [MEDIUM[c[2]] for c in CHANNELS]
_CAMPAIGN_NAMES = [f"{c[0]}_c{k}" for c in CHANNELS for k in (1, 2)]
WEEKDAY_ACTIVITY = np.array([0.96, 0.95, 0.96, 0.98, 1.02, 1.08, 1.06])  # Monday first
WEEKDAY_REGS = np.array([0.92, 0.94, 0.95, 0.98, 1.03, 1.12, 1.08])


@dataclass(frozen=True)
class CampaignSpec:
    campaign_id: str
    name: str
    type: str
    start_frac: float
    end_frac: float
    holdout: float
    order_effect: float
    reward_cost: float
    budget: float


CAMPAIGNS = [
    CampaignSpec("CHK01", "每日签到 Daily check-in", "check_in", 0.15, 0.85, 0.10, 1.30, 0.0, 50_000),
    CampaignSpec("CPN01", "新客立减券 Coupon blast", "coupon", 0.30, 0.90, 0.10, 1.00, 10.0, 80_000),
    CampaignSpec("CNT01", "创作大赛 Creator contest", "contest", 0.10, 0.60, 0.0, 1.00, 2_000.0, 20_000),
    CampaignSpec("TSK01", "新手任务 Starter tasks", "task", 0.0, 1.0, 0.0, 1.00, 0.0, 30_000),
]
POINTS_UNIT_COST = 0.01
POINTS_CHECK_IN = 10
POINTS_TASK = 20
POINTS_REDEEM = 100


def resolve_scale(scale: str | int) -> int:
    """Registrations per day for a preset name or a number."""
    if isinstance(scale, int):
        return scale
    if scale in SCALES:
        return SCALES[scale]
    try:
        return int(scale)
    except ValueError:
        raise ValueError(
            f"unknown scale {scale!r}: use one of {', '.join(SCALES)} or a number of users per day"
        ) from None


class _Grow:
    """Column arrays that grow by doubling."""

    def __init__(self, **dtypes: str) -> None:
        self.n = 0
        self.cap = 1024
        self.cols = {k: np.zeros(self.cap, dtype=v) for k, v in dtypes.items()}

    def append(self, **vals: np.ndarray) -> np.ndarray:
        m = len(next(iter(vals.values())))
        while self.n + m > self.cap:
            self.cap *= 2
            for k, a in self.cols.items():
                b = np.zeros(self.cap, dtype=a.dtype)
                b[: self.n] = a[: self.n]
                self.cols[k] = b
        for k, v in vals.items():
            self.cols[k][self.n : self.n + m] = v
        idx = np.arange(self.n, self.n + m)
        self.n += m
        return idx

    def __getitem__(self, k: str) -> np.ndarray:
        return self.cols[k][: self.n]


class Simulator:
    """Simulates ``days`` days from ``start`` and writes them under ``landing``."""

    def __init__(
        self,
        landing: Path,
        start: date,
        days: int,
        scale: str | int = "default",
        seed: int = 7,
        events_format: str = "jsonl",
        chunk_rows: int = CHUNK_ROWS,
        progress: Callable[[date, dict[str, int]], None] | None = None,
    ) -> None:
        self.landing = landing
        self.start = start
        self.days = days
        self.per_day = resolve_scale(scale)
        self.seed = seed
        self.events_format = events_format
        self.chunk_rows = chunk_rows
        self.progress = progress
        tz = ZoneInfo(REPORTING_TZ)
        start_local = datetime(start.year, start.month, start.day, tzinfo=tz)
        self.offset_ms = int(start_local.utcoffset().total_seconds() * 1000)  # type: ignore[union-attr]
        # epoch ms (UTC) of the local midnight that starts day 0
        self.day0_ms = int(start_local.timestamp() * 1000)
        self.con = duckdb.connect()  # used by the writer thread only
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="opswh-simulator-writer")
        self._pending: deque[Future] = deque()
        self.buffer: dict[int, dict[str, list[pa.Table]]] = defaultdict(lambda: defaultdict(list))
        self.users = _Grow(
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
        )
        self.posts = _Grow(day=np.int32, topic=np.int16, popularity=np.float32)
        self.order_seq = 0
        self._id_counter = 0
        self._prev_spend: list[dict] = []
        self._parts: dict[tuple[str, int], dict[str, int]] = {}
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
        self.campaign_days = [
            (int(c.start_frac * days), max(int(c.start_frac * days), int(c.end_frac * days) - 1)) for c in CAMPAIGNS
        ]
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
            if 0 <= day_col < self.days:
                self.buffer[day_col][feed].append(table)
            return
        days = np.asarray(day_col)
        for d in np.unique(days):
            if 0 <= d < self.days:
                mask = days == d
                self.buffer[int(d)][feed].append(table.filter(pa.array(mask)))

    # ------------------------------------------------------------------ the day loop

    def run(self) -> dict[str, object]:
        """Simulate every day. Files are written by one writer thread behind the generator (DuckDB
        releases the GIL), so generating a day overlaps writing the previous one."""
        t0 = time.perf_counter()
        try:
            for d in range(min(LOOKAHEAD_DAYS, self.days)):
                self._plan_cohort(d)
            for d in range(self.days):
                if d + LOOKAHEAD_DAYS < self.days:
                    self._plan_cohort(d + LOOKAHEAD_DAYS)
                self._simulate_day(d)
                counts = self._flush(d)
                if self.progress:
                    self.progress(self.start + timedelta(days=d), counts)
            self._wait_for_writes(0)
        finally:
            self._writer.shutdown(wait=True, cancel_futures=True)
        self.stats["seconds"] = round(time.perf_counter() - t0, 3)
        self.truth["campaigns"] = {
            c.campaign_id: {
                "order_effect": c.order_effect,
                "holdout_share": c.holdout,
                "start_date": str(self.start + timedelta(days=s)),
                "end_date": str(self.start + timedelta(days=e)),
            }
            for c, (s, e) in zip(CAMPAIGNS, self.campaign_days)
        }
        self.truth["channels"] = {
            c[0]: {"weight": c[7], "cpa": c[8], "activity": c[9], "decay": c[10], "order_propensity": c[11]}
            for c in CHANNELS
        }
        self.truth["stats"] = self.stats
        (self.landing / "_truth.json").write_text(json.dumps(self.truth, indent=2, ensure_ascii=False))
        return self.stats

    def _plan_cohort(self, d: int) -> None:
        """Decide who registers on day d, and emit their registrations and earlier touches."""
        rng = self.rng(d, 1)
        date_d = self.start + timedelta(days=d)
        trend = 1.0 + 0.006 * d
        n = int(rng.poisson(self.per_day * trend * WEEKDAY_REGS[date_d.weekday()]))
        if n == 0:
            return
        w = np.array([c[7] for c in CHANNELS]) * np.exp(rng.normal(0, 0.15, len(CHANNELS)))
        w = w / w.sum() * (1 - DIRECT_SHARE)
        probs = np.append(w, DIRECT_SHARE)
        channel = rng.choice(len(CHANNELS) + 1, n, p=probs).astype(np.int16)
        channel[channel == len(CHANNELS)] = -1
        reg_ms = self.day0_ms + d * DAY_MS + (rng.choice(24, n, p=DIURNAL) * 3_600_000 + rng.integers(0, 3_600_000, n))
        q = np.array([c[11] for c in CHANNELS] + [1.0])[channel]
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
        order_in_user = _within_group_index(k)
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
            _dict(ch, CHANNEL_IDS),
            _dict(ch, _MEDIUMS),
            _dict(np.where(ch >= 0, ch * 2 + np.asarray(camp, np.int64), -1), _CAMPAIGN_NAMES),
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
            page=_dict(np.zeros(n, np.int8), ["landing"]),
            utm_source=src,
            utm_medium=med,
            utm_campaign=cmp_,
        )

    def _emit_events(
        self,
        users: np.ndarray,
        event_type: pa.Array | str,
        ms: np.ndarray,
        received: np.ndarray,
        anonymous: bool = False,
        **props: pa.Array,
    ) -> None:
        """Queue events; every event carries the same property fields (absent ones are null)."""
        n = len(users)
        if not n:
            return
        if isinstance(event_type, str):
            event_type = _dict(np.zeros(n, np.int8), [event_type])
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
        is_ref = channel == CHANNEL_IDS.index("referral_invite")
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
            idx, "app_open", reg_ms + 1_000, reg_ms + 2_000, page=_dict(np.zeros(n, np.int8), ["register"])
        )

    def _simulate_day(self, d: int) -> None:
        rng = self.rng(d, 2)
        date_d = self.start + timedelta(days=d)
        u = self.users
        registered = np.flatnonzero(u["reg_day"] < d)  # today's cohort is active by registering
        age = d - u["reg_day"][registered]
        ch = u["channel"][registered]
        base = np.array([c[9] for c in CHANNELS] + [0.45])[ch]
        decay = np.array([c[10] for c in CHANNELS] + [0.5])[ch]
        p = base * np.power(age + 0.0, -decay) * WEEKDAY_ACTIVITY[date_d.weekday()]
        p = p * np.clip(0.75 + 0.25 * u["propensity"][registered], 0.5, 1.6)
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
        self._reference(d, rng)
        self._ad_spend(d, new_today, rng)
        self._merchant_billing(d, rng)

    # ------------------------------------------------------------------ activity

    def _day_ms(self, d: int, n: int, rng: np.random.Generator) -> np.ndarray:
        return self.day0_ms + d * DAY_MS + rng.choice(24, n, p=DIURNAL) * 3_600_000 + rng.integers(0, 3_600_000, n)

    def _app_events(self, d: int, active: np.ndarray, rng: np.random.Generator) -> None:
        """Page views, searches, likes ... for every active user, in chunks of users."""
        u = self.users
        lam = 6.0 * np.clip(u["propensity"][active], 0.2, 3.0)
        k = 1 + rng.poisson(lam)
        probs = np.array(list(EVENT_MIX.values()))
        probs = probs / probs.sum()
        recent = self._recent_content(d)
        visit_channels = np.array(SPEND_CHANNELS + [CHANNEL_IDS.index("seo")])
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
            query = _dict(np.where(codes == SEARCH, rng.integers(0, len(TOPICS), n), -1), TOPICS)
            page = _dict(np.where(is_visit, 0, np.where(codes == PAGE_VIEW, 1, -1)), ["landing", "content"])
            received = ms + rng.integers(100, 20_000, n)
            self._emit_events(
                rep,
                _dict(codes, EVENT_TYPES_MIX),
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
            self._spill(d, "events")

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
            extra["campaign_id"] = _dict(np.zeros(n, np.int8), [campaign])
        if coupon is not None:
            extra["coupon_id"] = _dict(np.zeros(n, np.int8), [coupon])
        self._emit_events(users, event_type, ms, ms + rng.integers(100, 5_000, n), **extra)

    def _campaign_running(self, i: int, d: int) -> bool:
        s, e = self.campaign_days[i]
        return s <= d <= e

    def _start_campaigns(self, d: int, rng: np.random.Generator) -> None:
        u = self.users
        for i, c in enumerate(CAMPAIGNS):
            if self.campaign_days[i][0] != d:
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
        if self._campaign_running(0, d):
            treated = active[self._treated("CHK01", active)]
            checkin = treated[rng.random(len(treated)) < 0.55]
            first_time = checkin[rng.random(len(checkin)) < 0.08]
            self._simple_events(d, first_time, "campaign_join", rng, campaign="CHK01")
            self._simple_events(d, checkin, "check_in", rng, campaign="CHK01")
            self._simple_events(d, checkin, "points_earn", rng, points=POINTS_CHECK_IN, campaign="CHK01")
            np.add.at(u.cols["points"], checkin, POINTS_CHECK_IN)
        if self._campaign_running(1, d):
            treated = active[self._treated("CPN01", active)]
            claim = treated[rng.random(len(treated)) < 0.05]
            self._simple_events(d, claim, "coupon_claim", rng, campaign="CPN01", coupon="CPN01-10")
        if self._campaign_running(2, d):
            creators = active[u["is_creator"][active]]
            self._simple_events(d, creators[rng.random(len(creators)) < 0.2], "campaign_join", rng, campaign="CNT01")
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
        boost = 1.5 if self._campaign_running(2, d) else 1.0
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

    # ------------------------------------------------------------------ money

    def _orders(self, d: int, active: np.ndarray, rng: np.random.Generator) -> None:
        u = self.users
        ch = u["channel"][active]
        q = np.array([c[11] for c in CHANNELS] + [1.0])[ch]
        p = 0.045 * q * np.clip(u["propensity"][active], 0.2, 3.0)
        if self._campaign_running(0, d):
            p = np.where(self._treated("CHK01", active), p * CAMPAIGNS[0].order_effect, p)
        buyers = active[rng.random(len(active)) < np.clip(p, 0, 0.9)]
        n = len(buyers)
        if n == 0:
            return
        order_ids = self.order_seq + np.arange(n)
        self.order_seq += n
        merchant = rng.choice(len(self.merchant_weight), n, p=self.merchant_weight)
        merchant = np.where(self.merchant_joined[merchant] <= d, merchant, 0)
        gmv = np.round(rng.lognormal(4.4, 0.75, n), 2)
        discount = np.zeros(n)
        coupon = np.full(n, None, dtype=object)
        campaign = np.full(n, None, dtype=object)
        if self._campaign_running(1, d):
            use = self._treated("CPN01", buyers) & (rng.random(n) < 0.35) & (gmv > 30)
            discount[use] = CAMPAIGNS[1].reward_cost
            coupon[use] = "CPN01-10"
            campaign[use] = "CPN01"
        promo = (discount == 0) & (rng.random(n) < 0.08)
        discount[promo] = np.round(gmv[promo] * 0.05, 2)
        rate = self.merchant_rate[merchant]
        commission = np.round(gmv * rate, 2)
        placed = self._day_ms(d, n, rng)
        cancelled = rng.random(n) < 0.04
        paid_ms = placed + rng.integers(30_000, 900_000, n)
        pay_amount = np.round(gmv - discount, 2)
        fee = np.round(pay_amount * 0.006, 2)
        shipped_ms = paid_ms + rng.integers(6, 40, n) * 3_600_000
        completed_ms = shipped_ms + rng.integers(24, 96, n) * 3_600_000
        refunded = ~cancelled & (rng.random(n) < 0.06)
        refund_ms = paid_ms + rng.integers(1, 12, n) * DAY_MS + rng.integers(0, DAY_MS // 2, n)
        full = rng.random(n) < 0.6
        refund_amount = np.where(full, pay_amount, np.round(pay_amount * rng.uniform(0.2, 0.8, n), 2))
        cat = self.merchant_category[merchant]

        def header(mask: np.ndarray, status: str, at: np.ndarray) -> None:
            if not mask.any():
                return
            t = pa.table(
                {
                    "order_idx": pa.array(order_ids[mask], pa.int64()),
                    "user_idx": pa.array(buyers[mask], pa.int64()),
                    "merchant_idx": pa.array(merchant[mask], pa.int64()),
                    "status": pa.array(np.full(mask.sum(), status), pa.string()),
                    "placed_ms": pa.array(placed[mask], pa.int64()),
                    "updated_ms": pa.array(at[mask], pa.int64()),
                    "gmv_amount": pa.array(gmv[mask]),
                    "discount_amount": pa.array(discount[mask]),
                    "coupon_id": pa.array(coupon[mask], pa.string()),
                    "campaign_id": pa.array(campaign[mask], pa.string()),
                    "commission_amount": pa.array(commission[mask]),
                    "fee_amount": pa.array(np.where(cancelled[mask], 0.0, fee[mask])),
                }
            )
            self.emit("orders", t, self.day_of_ms(at[mask]))

        everyone = np.ones(n, bool)
        header(everyone, "placed", placed)
        header(cancelled, "cancelled", placed + rng.integers(60_000, 3_600_000, n))
        ok = ~cancelled
        header(ok, "paid", paid_ms)
        header(ok, "shipped", shipped_ms)
        header(ok & ~refunded, "completed", completed_ms)
        header(refunded, "refunded", refund_ms)
        # lines: 1-3 per order, prices adding up to the order's gmv
        k = rng.integers(1, 4, n)
        rep = np.repeat(np.arange(n), k)
        line = _within_group_index(k) + 1
        share = rng.random(len(rep)) + 0.2
        tot = np.bincount(rep, share)
        qty = rng.integers(1, 3, len(rep))
        unit = np.round(gmv[rep] * share / tot[rep] / qty, 2)
        items = pa.table(
            {
                "order_idx": pa.array(order_ids[rep], pa.int64()),
                "line_number": pa.array(line, pa.int32()),
                "sku": pa.array(
                    np.char.add(
                        np.char.add(np.array(CATEGORIES)[cat[rep]], "-"), (rng.integers(1, 500, len(rep))).astype(str)
                    ),
                    pa.string(),
                ),
                "category": pa.array(np.array(CATEGORIES)[cat[rep]], pa.string()),
                "quantity": pa.array(qty, pa.int32()),
                "unit_price": pa.array(unit),
            }
        )
        self.emit("order_items", items, d)
        pay = pa.table(
            {
                "order_idx": pa.array(order_ids[ok], pa.int64()),
                "user_idx": pa.array(buyers[ok], pa.int64()),
                "paid_ms": pa.array(paid_ms[ok], pa.int64()),
                "amount": pa.array(pay_amount[ok]),
                "method": pa.array(
                    rng.choice(["alipay", "wechat_pay", "card"], ok.sum(), p=[0.5, 0.45, 0.05]), pa.string()
                ),
            }
        )
        self.emit("payments", pay, self.day_of_ms(paid_ms[ok]))
        ref = pa.table(
            {
                "order_idx": pa.array(order_ids[refunded], pa.int64()),
                "refunded_ms": pa.array(refund_ms[refunded], pa.int64()),
                "amount": pa.array(refund_amount[refunded]),
                "paid_amount": pa.array(pay_amount[refunded]),
                "fee_refund_amount": pa.array(
                    np.round(fee[refunded] * refund_amount[refunded] / np.maximum(pay_amount[refunded], 0.01), 2)
                ),
                "reason": pa.array(
                    rng.choice(
                        ["质量问题 quality", "不想要了 changed mind", "发错货 wrong item", "late delivery"],
                        refunded.sum(),
                    ),
                    pa.string(),
                ),
            }
        )
        self.emit("refunds", ref, self.day_of_ms(refund_ms[refunded]))

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

    def _reference(self, d: int, rng: np.random.Generator) -> None:
        cat = pa.table(
            {
                "channel": [c[0] for c in CHANNELS],
                "channel_name": [c[1] for c in CHANNELS],
                "channel_type": [c[2] for c in CHANNELS],
                "channel_group": [c[3] for c in CHANNELS],
                "cost_model": [c[4] for c in CHANNELS],
                "is_paid": [c[5] for c in CHANNELS],
                "native_timezone": [c[6] for c in CHANNELS],
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
        for c, (s, e) in zip(CAMPAIGNS, self.campaign_days):
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
                spend_cny = max(0.0, (regs + rng.poisson(2)) * c[8] * float(rng.lognormal(0, 0.12)))
                usd = c[0] in USD_CHANNELS
                spend = round(spend_cny / USD_RATE if usd else spend_cny, 2)
                impressions = int(spend_cny / c[13] * 1000) if c[13] else 0
                clicks = int(impressions * c[12] * float(rng.uniform(0.8, 1.2))) if impressions else 0
                rows.append(
                    {
                        "stat_date": self.start + timedelta(days=d),
                        "channel": c[0],
                        "account_id": f"acct_{c[0]}",
                        "campaign_id": f"{c[0]}_c{k + 1}",
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

    # ------------------------------------------------------------------ writing

    def _spill(self, d: int, feed: str) -> None:
        """Write today's queued rows of a feed to part files of ``chunk_rows`` each, keeping the rest queued."""
        tables = self.buffer[d][feed]
        if sum(t.num_rows for t in tables) >= self.chunk_rows:
            table = pa.concat_tables(tables)
            full = table.num_rows - table.num_rows % self.chunk_rows
            for s in range(0, full, self.chunk_rows):
                self._write_part(contract.get_feed(feed), d, table.slice(s, self.chunk_rows))
            self.buffer[d][feed] = [table.slice(full)] if full < table.num_rows else []

    def _submit(self, fn: Callable[..., object], *args: object) -> None:
        """Queue a write for the writer thread, waiting while MAX_PENDING_WRITES are queued."""
        self._wait_for_writes(MAX_PENDING_WRITES - 1)
        self._pending.append(self._writer.submit(fn, *args))

    def _wait_for_writes(self, at_most: int) -> None:
        """Wait until no more than ``at_most`` writes are queued; a failed write raises here."""
        while self._pending and (len(self._pending) > at_most or self._pending[0].done()):
            self._pending.popleft().result()

    def _flush(self, d: int) -> dict[str, int]:
        day = self.start + timedelta(days=d)
        queued = self.buffer.pop(d, {})
        counts = {}
        for feed in contract.FEEDS:
            tables = queued.get(feed.name, [])
            if tables or (feed.name, d) not in self._parts:
                table = pa.concat_tables(tables) if tables else None
                for s in range(0, max(1, 0 if table is None else table.num_rows), self.chunk_rows):
                    self._write_part(feed, d, None if table is None else table.slice(s, self.chunk_rows))
            parts = self._parts.pop((feed.name, d))
            # after the partition's parts, in the same writer thread: the marker is written last
            self._submit(write_marker, self.landing / feed.name / f"dt={day.isoformat()}", feed.name, day, parts)
            counts[feed.name] = sum(parts.values())
            self.stats["rows"] += counts[feed.name]
        self.stats["events"] += counts["events"]
        return counts

    def _write_part(self, feed: contract.Feed, d: int, part: pa.Table | None) -> None:
        day = self.start + timedelta(days=d)
        part_dir = self.landing / feed.name / f"dt={day.isoformat()}"
        if (feed.name, d) not in self._parts:
            if part_dir.exists():
                shutil.rmtree(part_dir)
            part_dir.mkdir(parents=True)
            self._parts[(feed.name, d)] = {}
        fmt = self.events_format if feed.name == "events" else feed.format
        parts = self._parts[(feed.name, d)]
        path = part_dir / f"part-{len(parts):04d}.{fmt}"
        sql = _empty_select(feed) if part is None or part.num_rows == 0 else _SELECT[feed.name]
        sql = sql.replace("{TS}", "'%Y-%m-%dT%H:%M:%S.%gZ'") if fmt != "parquet" else _native_ts(sql)
        options = {
            "csv": "(format csv, header true)",
            "jsonl": "(format json)",
            "parquet": f"(format parquet, {PARQUET_WRITE_OPTIONS})",
        }[fmt]
        self._submit(self._copy, part, f"copy ({sql}) to '{path}' {options}")
        parts[path.name] = 0 if part is None else part.num_rows

    def _copy(self, part: pa.Table | None, sql: str) -> None:
        """The writer thread's job: one part file written by DuckDB from the Arrow table."""
        if part is None or part.num_rows == 0:  # an empty partition: the SQL selects no rows
            self.con.execute(sql)
            return
        self.con.register("part", part)
        self.con.execute(sql)
        self.con.unregister("part")


def _within_group_index(sizes: np.ndarray) -> np.ndarray:
    """0, 1, ... within each of consecutive groups of the given sizes: [2, 3] -> [0, 1, 0, 1, 2]."""
    sizes = np.asarray(sizes, np.int64)
    starts = np.cumsum(sizes) - sizes
    return np.arange(int(sizes.sum())) - np.repeat(starts, sizes)


def _dict(codes: np.ndarray, values: list[str]) -> pa.Array:
    """A dictionary-encoded string array from integer codes; a negative code is null."""
    codes = np.asarray(codes)
    mask = codes < 0
    return pa.DictionaryArray.from_arrays(
        pa.array(np.where(mask, 0, codes).astype(np.int32), mask=mask), pa.array(values)
    )


def _ts(col: str, name: str) -> str:
    return f"strftime(make_timestamp({col} * 1000), {{TS}}) as {name}"


def _native_ts(sql: str) -> str:
    import re

    return re.sub(r"strftime\(make_timestamp\((\w+) \* 1000\), \{TS\}\)", r"make_timestamp(\1 * 1000)", sql)


def _empty_select(feed: contract.Feed) -> str:
    cols = ", ".join(f"cast(null as {c.type}) as {c.name}" for c in feed.columns)
    return f"select {cols} where false"


# Only the keys an event type carries, as the tracking SDK sends them.
_PROPERTIES = """case event_type
    when 'visit' then json_object('page', p_page, 'utm_source', p_utm_source, 'utm_medium', p_utm_medium,
                                  'utm_campaign', p_utm_campaign)
    when 'page_view' then json_object('page', p_page, 'content_id', 'c' || p_content_idx)
    when 'like' then json_object('content_id', 'c' || p_content_idx)
    when 'comment' then json_object('content_id', 'c' || p_content_idx)
    when 'share' then json_object('content_id', 'c' || p_content_idx)
    when 'search' then json_object('query', p_query)
    when 'points_earn' then json_object('points', p_points, 'campaign_id', p_campaign_id)
    when 'points_redeem' then json_object('points', p_points)
    when 'coupon_claim' then json_object('campaign_id', p_campaign_id, 'coupon_id', p_coupon_id)
    when 'check_in' then json_object('campaign_id', p_campaign_id)
    when 'campaign_join' then json_object('campaign_id', p_campaign_id)
    when 'app_open' then case when p_page is null then '{}'::json else json_object('page', p_page) end
    else '{}'::json end"""

_SELECT = {
    "channel_catalog": "select channel, channel_name, channel_type, channel_group, cost_model, is_paid, native_timezone from part",
    "ad_spend": "select stat_date, channel, account_id, campaign_id, currency, spend, impressions, clicks, conversions from part",
    "registrations": "select 'u' || user_idx as user_id, "
    + _ts("registered_ms", "registered_at")
    + ", 'd' || user_idx as device_id, platform, region, nickname, first_touch_source, first_touch_medium,"
    " first_touch_campaign, last_touch_source, last_touch_medium, last_touch_campaign, referrer, invite_code, is_test from part",
    "profile_updates": "select 'u' || user_idx as user_id, "
    + _ts("updated_ms", "updated_at")
    + ", nickname, region, is_test from part",
    "events": "select 'ev' || event_seq as event_id, case when user_idx >= 0 then 'u' || user_idx end as user_id,"
    " 'd' || device_idx as device_id, event_type, "
    + _ts("event_ms", "event_at")
    + ", "
    + _ts("received_ms", "received_at")
    + ", "
    + _PROPERTIES
    + " as properties from part",
    "orders": "select 'o' || order_idx as order_id, 'u' || user_idx as user_id, 'm' || merchant_idx as merchant_id, status, "
    + _ts("placed_ms", "placed_at")
    + ", "
    + _ts("updated_ms", "updated_at")
    + ", 'CNY' as currency,"
    " round(gmv_amount, 2) as gmv_amount, round(discount_amount, 2) as discount_amount, coupon_id, campaign_id,"
    " round(commission_amount, 2) as commission_amount, round(fee_amount, 2) as fee_amount from part",
    "order_items": "select 'o' || order_idx as order_id, line_number, sku, category, quantity, round(unit_price, 2) as unit_price from part",
    "payments": "select 'p' || order_idx as payment_id, 'o' || order_idx as order_id, 'u' || user_idx as user_id, "
    + _ts("paid_ms", "paid_at")
    + ", 'CNY' as currency, round(amount, 2) as amount, method from part",
    "refunds": "select 'r' || order_idx as refund_id, 'o' || order_idx as order_id, "
    + _ts("refunded_ms", "refunded_at")
    + ", 'CNY' as currency, round(amount, 2) as amount, round(paid_amount, 2) as paid_amount,"
    " round(fee_refund_amount, 2) as fee_refund_amount, reason from part",
    "memberships": "select 'b' || billing_seq as billing_event_id, 'u' || user_idx as user_id, event_type, plan,"
    " round(amount, 2) as amount, period_months, " + _ts("occurred_ms", "occurred_at") + " from part",
    "merchant_billing": "select 'mb' || billing_seq as billing_id, 'm' || merchant_idx as merchant_id, service_type,"
    " billed_date, 'CNY' as currency, round(amount, 2) as amount from part",
    "merchants": "select 'm' || merchant_idx as merchant_id, merchant_name, category, commission_rate, joined_date, is_creator from part",
    "campaigns": "select campaign_id, campaign_name, campaign_type, budget, start_date, end_date, eligibility,"
    " holdout_share, reward_cost, points_unit_cost from part",
    "campaign_assignments": "select campaign_id, 'u' || user_idx as user_id, assignment_group, "
    + _ts("assigned_ms", "assigned_at")
    + " from part",
    "content_items": "select 'c' || content_idx as content_id, creator_id, content_type, topic, title, "
    + _ts("published_ms", "published_at")
    + ", is_removed from part",
}
