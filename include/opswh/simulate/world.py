"""The simulated platform's world: its channels, campaigns, catalogues and the shapes of behaviour.

Facts the behaviour model (``opswh.simulate.model``) draws from, stated once. Channels and
campaigns are dataclasses looked up by id (``CHANNEL_INDEX``, ``CAMPAIGN``); the simulator keeps
per-user channel indexes into ``CHANNELS`` in its numpy arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from opswh import contract

DAY_MS = 86_400_000
SCALES = {"tiny": 30, "small": 200, "default": 2_000, "large": 100_000}


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


@dataclass(frozen=True)
class Channel:
    """An acquisition channel: its catalogue entry and how the users it brings behave."""

    id: str
    name: str
    type: str
    group: str
    cost_model: str
    is_paid: bool
    tz: str  # the time zone its platform cuts daily stats in
    weight: float  # share of registrations
    cpa: float  # cost per registration it bought, CNY
    activity: float  # base daily activity probability
    decay: float  # power-law decay of activity with account age
    order_propensity: float
    ctr: float
    cpm: float

    @property
    def medium(self) -> str:
        return MEDIUM[self.type]


CHANNELS = [
    Channel(
        "sem_baidu",
        "百度搜索 Baidu SEM",
        "sem",
        "paid",
        "cpc",
        True,
        "Asia/Shanghai",
        weight=0.14,
        cpa=38.0,
        activity=0.5,
        decay=0.45,
        order_propensity=1.3,
        ctr=0.04,
        cpm=30.0,
    ),
    Channel(
        "sem_google",
        "Google Ads",
        "sem",
        "paid",
        "cpc",
        True,
        "America/Los_Angeles",
        weight=0.03,
        cpa=65.0,
        activity=0.45,
        decay=0.45,
        order_propensity=1.4,
        ctr=0.035,
        cpm=45.0,
    ),
    Channel(
        "social_douyin",
        "抖音 Douyin ads",
        "social_ads",
        "paid",
        "cpm",
        True,
        "Asia/Shanghai",
        weight=0.16,
        cpa=24.0,
        activity=0.38,
        decay=0.6,
        order_propensity=0.8,
        ctr=0.012,
        cpm=18.0,
    ),
    Channel(
        "social_wechat",
        "微信朋友圈 WeChat Moments",
        "social_ads",
        "paid",
        "cpm",
        True,
        "Asia/Shanghai",
        weight=0.1,
        cpa=30.0,
        activity=0.45,
        decay=0.5,
        order_propensity=1.0,
        ctr=0.015,
        cpm=25.0,
    ),
    Channel(
        "feed_toutiao",
        "今日头条 Toutiao feed",
        "feed_ads",
        "paid",
        "cpc",
        True,
        "Asia/Shanghai",
        weight=0.08,
        cpa=20.0,
        activity=0.33,
        decay=0.65,
        order_propensity=0.7,
        ctr=0.01,
        cpm=12.0,
    ),
    Channel(
        "feed_kuaishou",
        "快手 Kuaishou feed",
        "feed_ads",
        "paid",
        "cpm",
        True,
        "Asia/Shanghai",
        weight=0.06,
        cpa=18.0,
        activity=0.3,
        decay=0.7,
        order_propensity=0.6,
        ctr=0.011,
        cpm=10.0,
    ),
    Channel(
        "content_kol",
        "KOL content",
        "content",
        "paid",
        "fixed",
        True,
        "Asia/Shanghai",
        weight=0.05,
        cpa=45.0,
        activity=0.55,
        decay=0.4,
        order_propensity=1.2,
        ctr=0.02,
        cpm=40.0,
    ),
    Channel(
        "seo",
        "SEO",
        "seo",
        "organic",
        "none",
        False,
        "Asia/Shanghai",
        weight=0.08,
        cpa=0.0,
        activity=0.5,
        decay=0.45,
        order_propensity=1.1,
        ctr=0.0,
        cpm=0.0,
    ),
    Channel(
        "referral_invite",
        "邀请有礼 Invite a friend",
        "referral",
        "referral",
        "cpa",
        False,
        "Asia/Shanghai",
        weight=0.08,
        cpa=10.0,
        activity=0.6,
        decay=0.35,
        order_propensity=1.3,
        ctr=0.0,
        cpm=0.0,
    ),
    Channel(
        "app_store",
        "App Store / 应用商店",
        "app_store",
        "organic",
        "none",
        False,
        "Asia/Shanghai",
        weight=0.06,
        cpa=0.0,
        activity=0.48,
        decay=0.45,
        order_propensity=1.0,
        ctr=0.0,
        cpm=0.0,
    ),
    Channel(
        "offline_ground",
        "地推 Offline ground promotion",
        "offline",
        "offline",
        "fixed",
        False,
        "Asia/Shanghai",
        weight=0.03,
        cpa=15.0,
        activity=0.28,
        decay=0.75,
        order_propensity=0.6,
        ctr=0.0,
        cpm=0.0,
    ),
    Channel(
        "partner_bank",
        "银行联名 Bank partner",
        "partner",
        "partner",
        "cpa",
        False,
        "Asia/Shanghai",
        weight=0.03,
        cpa=20.0,
        activity=0.42,
        decay=0.5,
        order_propensity=1.5,
        ctr=0.0,
        cpm=0.0,
    ),
]
CHANNEL_IDS = [c.id for c in CHANNELS]
CHANNEL_INDEX = {c.id: i for i, c in enumerate(CHANNELS)}
DIRECT_SHARE = 0.10  # users with no touch at all
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
SPEND_CHANNELS = [i for i, c in enumerate(CHANNELS) if c.cpa > 0]
USD_CHANNELS = {"sem_google"}


def seed_rate(currency: str) -> float:
    """Units of the reporting currency (CNY) per unit of ``currency``: the shipped rates the warehouse
    converts with (mappings/fx_rates.csv, the one home of the rates)."""
    from opswh.mappings import SHIPPED, read_fx_file

    latest = {
        c: float(units) for c, _, units, _, _ in sorted(read_fx_file(SHIPPED / "fx_rates.csv"), key=lambda r: r[1])
    }
    return latest["CNY"] / latest[currency]


USD_RATE = seed_rate("USD")

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
# share of a day's activity by hour (local time)
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
MEDIUMS = [c.medium for c in CHANNELS]
CAMPAIGN_NAMES = [f"{c.id}_c{k}" for c in CHANNELS for k in (1, 2)]
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


CAMPAIGN_LIST = [
    CampaignSpec("CHK01", "每日签到 Daily check-in", "check_in", 0.15, 0.85, 0.10, 1.30, 0.0, 50_000),
    CampaignSpec("CPN01", "新客立减券 Coupon blast", "coupon", 0.30, 0.90, 0.10, 1.00, 10.0, 80_000),
    CampaignSpec("CNT01", "创作大赛 Creator contest", "contest", 0.10, 0.60, 0.0, 1.00, 2_000.0, 20_000),
    CampaignSpec("TSK01", "新手任务 Starter tasks", "task", 0.0, 1.0, 0.0, 1.00, 0.0, 30_000),
]
CAMPAIGN: dict[str, CampaignSpec] = {c.campaign_id: c for c in CAMPAIGN_LIST}
POINTS_UNIT_COST = 0.01
POINTS_CHECK_IN = 10
POINTS_TASK = 20
POINTS_REDEEM = 100

# User feedback. A channel's users differ in how they rate the platform: the mean NPS score of a
# user it brought (the last entry: users with no touch). A user's own mood moves it by up to +-1.5.
CHANNEL_NPS = {
    "sem_baidu": 7.6,
    "sem_google": 7.8,
    "social_douyin": 6.8,
    "social_wechat": 7.4,
    "feed_toutiao": 6.5,
    "feed_kuaishou": 6.3,
    "content_kol": 8.0,
    "seo": 7.9,
    "referral_invite": 8.8,
    "app_store": 7.7,
    "offline_ground": 6.9,
    "partner_bank": 8.2,
}
DIRECT_NPS = 7.4
SURVEY_RATE = 0.012  # an active user answers a survey that day
SURVEY_RATE_INACTIVE = 0.002  # a registered user inactive that day answers an email or SMS survey
NPS_SHARE = 0.6  # of the surveys answered, the rest are CSAT
TICKET_RATE = 0.004  # an active user with no open ticket opens one that day
TICKET_CATEGORIES = {
    "payment": 0.2,
    "delivery": 0.25,
    "refund": 0.18,
    "account_login": 0.1,
    "app_bug": 0.12,
    "coupon_points": 0.1,
    "other": 0.05,
}
# the drop in a user's daily activity probability while they are a detractor (latest NPS 0-6) and
# while a ticket of theirs is open: both churn more
DETRACTOR_ACTIVITY = 0.7
OPEN_TICKET_ACTIVITY = 0.6
COMMENTS = {
    "detractor": ["客服太慢了 support is slow", "物流太慢 slow delivery", "经常闪退 the app crashes", "退款很麻烦"],
    "passive": ["还行 it's ok", "价格一般", "希望有更多优惠 more coupons please"],
    "promoter": ["很好用 love it", "推荐给朋友了 told my friends", "发货快 fast shipping", "客服很耐心"],
}
