"""The landing contract's feeds: every feed a source system delivers, its format, columns and rules.

This module is the single source of truth. The simulator writes what it says, the loader
enforces it, and ``render`` derives the dbt sources, the tables of ``docs/landing_contract.md``
and the structural part of the GX raw suites from it (tests keep them together).
"""

from __future__ import annotations

from opswh.contract.model import Column, Feed, RowCheck

ORDER_STATUSES = ("placed", "paid", "shipped", "completed", "cancelled", "refunded")
MEMBERSHIP_EVENTS = ("subscribe", "renew", "upgrade", "downgrade", "cancel")
# The platforms the marts report; a source's own values are normalised to them by the events mapping
# (mappings/events.yml), and a value it does not map is kept as it came.
PLATFORMS = ("ios", "android", "web", "mini_program")
CHANNEL_GROUPS = ("paid", "organic", "referral", "offline", "partner")
CAMPAIGN_TYPES = ("check_in", "points", "task", "contest", "coupon")
ACQUISITION_COST_TYPES = ("partner_fee", "offline_promotion", "new_user_coupon", "other")
CONTENT_TYPES = ("UGC", "PGC")
ASSIGNMENT_GROUPS = ("treatment", "holdout")
BILLING_SERVICES = ("advertising", "value_added")
SURVEY_TYPES = ("nps", "csat")
SURVEY_CHANNELS = ("in_app", "email", "sms", "push")
TICKET_STATUSES = ("created", "first_response", "resolved", "reopened")
TICKET_PRIORITIES = ("low", "normal", "high", "urgent")
CONTACT_CHANNELS = ("in_app_chat", "phone", "email", "social")

MAX_NAME_LENGTH = 256
MAX_TEXT_LENGTH = 2048


def _c(name: str, type_: str, description: str, **rules: object) -> Column:
    return Column(name, type_, description, **rules)  # type: ignore[arg-type]


_TS = "TIMESTAMP"
_MONEY = "DECIMAL(18,2)"

FEEDS: tuple[Feed, ...] = (
    Feed(
        name="channel_catalog",
        needed_by="dim_channels; attribution (only catalogued utm_source values are channels)",
        source="channels",
        format="csv",
        snapshot=True,
        description="The channel catalogue: every acquisition channel, its group, cost model "
        "and the native timezone its platform reports in. Full snapshot every day.",
        key=("channel",),
        columns=(
            _c("channel", "VARCHAR", "Channel id, also the `utm_source` value.", required=True),
            _c("channel_name", "VARCHAR", "Display name.", required=True, max_length=MAX_NAME_LENGTH),
            _c(
                "channel_type",
                "VARCHAR",
                "sem, social_ads, feed_ads, content, seo, referral, app_store, offline, partner.",
                required=True,
            ),
            _c("channel_group", "VARCHAR", "Reporting group.", required=True, enum=CHANNEL_GROUPS),
            _c("cost_model", "VARCHAR", "cpc, cpm, cpa, cpt, fixed or none.", required=True),
            _c("is_paid", "BOOLEAN", "Whether spend is media spend.", required=True),
            _c("native_timezone", "VARCHAR", "IANA timezone the channel's daily stats are cut in.", required=True),
        ),
    ),
    Feed(
        name="ad_spend",
        needed_by="spend, impressions, clicks, CTR, CPC, CPM, CPA, CAC, ROAS and ROI in fct_channel_daily, cohort spend and payback in fct_channel_payback, spend, CAC and ROAS D7 in fct_kpi_daily",
        rate_date="stat_date",
        source="channels",
        format="csv",
        description="Daily ad/promotion stats per channel, account and campaign, as the ad "
        "platforms export them. A platform may restate a past day: the latest partition wins.",
        key=("stat_date", "channel", "account_id", "campaign_id"),
        columns=(
            _c("stat_date", "DATE", "Day in the channel's native timezone.", required=True),
            _c("channel", "VARCHAR", "Channel id (see channel_catalog).", required=True),
            _c("account_id", "VARCHAR", "Ad account.", required=True),
            _c("campaign_id", "VARCHAR", "Ad campaign, also the `utm_campaign` value.", required=True),
            _c("currency", "VARCHAR", "Account currency. ISO 4217 code.", required=True, currency=True),
            _c("spend", _MONEY, "Spend in the account currency.", required=True, non_negative=True),
            _c("impressions", "BIGINT", "Impressions.", required=True, non_negative=True),
            _c("clicks", "BIGINT", "Clicks.", required=True, non_negative=True),
            _c("conversions", "BIGINT", "Platform-reported conversions (not used for attribution).", non_negative=True),
        ),
        row_checks=(RowCheck("clicks_le_impressions", "clicks <= impressions", "clicks exceed impressions", "clicks"),),
    ),
    Feed(
        name="acquisition_costs",
        needed_by="acquisition_cost and blended_cac in fct_kpi_daily",
        rate_date="cost_date",
        source="channels",
        format="csv",
        description="Non-media acquisition costs, one line per cost: partner fees, offline "
        "promotion, new-user coupons and the like, as finance or the growth team books them. "
        "A line re-sent in a later delivery replaces the earlier one (the latest partition wins).",
        key=("cost_id",),
        columns=(
            _c("cost_id", "VARCHAR", "The cost line's id.", required=True),
            _c("cost_date", "DATE", "Reporting day the cost belongs to.", required=True),
            _c(
                "cost_type",
                "VARCHAR",
                "partner_fee, offline_promotion, new_user_coupon or other.",
                required=True,
                enum=ACQUISITION_COST_TYPES,
            ),
            _c("channel", "VARCHAR", "Channel the cost belongs to, if any (see channel_catalog)."),
            _c("currency", "VARCHAR", "Currency of the amount. ISO 4217 code.", required=True, currency=True),
            _c("amount", _MONEY, "The cost in that currency.", required=True, non_negative=True),
        ),
    ),
    Feed(
        name="registrations",
        needed_by="registration records (without them users arrive at their first identify call, event or order), the registration's touch fields",
        source="users",
        format="jsonl",
        description="One record per registered user, with first- and last-touch attribution as "
        "the registration service recorded it.",
        key=("user_id",),
        columns=(
            _c("user_id", "VARCHAR", "User id.", required=True),
            _c("registered_at", _TS, "Registration time.", required=True, not_future=True),
            _c(
                "device_id",
                "VARCHAR",
                "Device id of the registering device (fallback: none; attribution then uses the touch fields below).",
            ),
            _c(
                "platform",
                "VARCHAR",
                "Client platform: ios, android, web, mini_program, or the source's own value (normalised by the events mapping).",
                required=True,
                max_length=MAX_NAME_LENGTH,
            ),
            _c("region", "VARCHAR", "Province or region.", max_length=MAX_NAME_LENGTH),
            _c("nickname", "VARCHAR", "Display name (may be Chinese).", max_length=MAX_NAME_LENGTH),
            _c("first_touch_source", "VARCHAR", "UTM source of the first touch."),
            _c("first_touch_medium", "VARCHAR", "UTM medium of the first touch."),
            _c("first_touch_campaign", "VARCHAR", "UTM campaign of the first touch."),
            _c("last_touch_source", "VARCHAR", "UTM source of the last touch."),
            _c("last_touch_medium", "VARCHAR", "UTM medium of the last touch."),
            _c("last_touch_campaign", "VARCHAR", "UTM campaign of the last touch."),
            _c("referrer", "VARCHAR", "Referring URL.", max_length=MAX_TEXT_LENGTH),
            _c("invite_code", "VARCHAR", "Invite code used, if any."),
            _c("is_test", "BOOLEAN", "Test or internal account (fallback: false)."),
        ),
    ),
    Feed(
        name="profile_updates",
        needed_by="accounts flagged as internal after they registered",
        source="users",
        format="jsonl",
        description="Profile change records: the new values of a user's mutable attributes.",
        key=("user_id", "updated_at"),
        columns=(
            _c("user_id", "VARCHAR", "User id.", required=True),
            _c("updated_at", _TS, "Change time.", required=True, not_future=True),
            _c("nickname", "VARCHAR", "New display name.", max_length=MAX_NAME_LENGTH),
            _c("region", "VARCHAR", "New region.", max_length=MAX_NAME_LENGTH),
            _c("is_test", "BOOLEAN", "New test flag (accounts found to be internal)."),
        ),
    ),
    Feed(
        name="events",
        needed_by="activity beyond order days (DAU/WAU/MAU, retention, lifecycle, user states), attribution from tagged visits, funnels, content, campaign participation, points",
        source="events",
        format="jsonl",
        description="App events as the tracking SDK delivers them, in the partition of the day "
        "they were received (so late events land in a later partition).",
        key=("event_id",),
        columns=(
            _c(
                "event_id",
                "VARCHAR",
                "Source event id; the SDK may deliver it twice (fallback: a deterministic hash of the record).",
                max_length=MAX_NAME_LENGTH,
            ),
            _c("user_id", "VARCHAR", "User id; empty for visits before registration."),
            _c("device_id", "VARCHAR", "Device or anonymous id (fallback: the user id)."),
            _c(
                "event_type",
                "VARCHAR",
                "The source's own event name (page_view, add_to_cart, Order Completed ...); its roles are in the events mapping.",
                required=True,
                max_length=MAX_NAME_LENGTH,
            ),
            _c("event_at", _TS, "When it happened.", required=True, not_future=True),
            _c("received_at", _TS, "When the collector received it (fallback: event_at).", not_future=True),
            _c(
                "properties",
                "JSON",
                "Event properties: page, content_id, campaign_id, points, coupon_id, query, utm_source, utm_medium, utm_campaign, referrer.",
            ),
        ),
        row_checks=(
            RowCheck(
                "received_after_event",
                "received_at >= event_at - interval 5 minute",
                "received before it happened",
                "received_at",
            ),
        ),
    ),
    Feed(
        name="orders",
        needed_by="orders, GMV, net and platform revenue, paying users, LTV, RFM segments, activity on order days",
        rate_date="placed_at",
        source="orders",
        format="csv",
        description="Order header versions: a full row each time an order changes status "
        "(placed, paid, shipped, completed, cancelled, refunded). The latest `updated_at` wins.",
        key=("order_id", "updated_at"),
        columns=(
            _c("order_id", "VARCHAR", "Order id.", required=True),
            _c("user_id", "VARCHAR", "Buyer.", required=True),
            _c("merchant_id", "VARCHAR", "Seller (fallback for a single-seller shop: the shop itself, `self`)."),
            _c("status", "VARCHAR", "Status after this change.", required=True, enum=ORDER_STATUSES),
            _c("placed_at", _TS, "Order placement time.", required=True, not_future=True),
            _c("updated_at", _TS, "Time of this change.", required=True, not_future=True),
            _c("currency", "VARCHAR", "Order currency. ISO 4217 code.", required=True, currency=True),
            _c("gmv_amount", _MONEY, "Order value before discounts.", required=True, non_negative=True),
            _c("discount_amount", _MONEY, "Discount (coupons, promotions).", required=True, non_negative=True),
            _c("coupon_id", "VARCHAR", "Coupon used, if any."),
            _c("campaign_id", "VARCHAR", "Operations campaign that funded the discount, if any."),
            _c("commission_amount", _MONEY, "Platform commission on the order (fallback: 0).", non_negative=True),
            _c("fee_amount", _MONEY, "Transaction fee charged to the merchant (fallback: 0).", non_negative=True),
        ),
        row_checks=(
            RowCheck(
                "discount_le_gmv", "discount_amount <= gmv_amount", "discount exceeds order value", "discount_amount"
            ),
            RowCheck("updated_after_placed", "updated_at >= placed_at", "updated before it was placed", "updated_at"),
        ),
    ),
    Feed(
        name="order_items",
        needed_by="order lines (SKUs, quantities)",
        source="orders",
        format="csv",
        description="Order lines, delivered with the order's placement.",
        key=("order_id", "line_number"),
        columns=(
            _c("order_id", "VARCHAR", "Order id.", required=True),
            _c("line_number", "INTEGER", "Line within the order, from 1.", required=True, non_negative=True),
            _c("sku", "VARCHAR", "Item SKU.", required=True),
            _c("category", "VARCHAR", "Item category.", required=True),
            _c("quantity", "INTEGER", "Units.", required=True, non_negative=True),
            _c("unit_price", _MONEY, "Price per unit.", required=True, non_negative=True),
        ),
    ),
    Feed(
        name="payments",
        needed_by="paid orders, paying users and the payment reconciliation",
        rate_date="paid_at",
        source="orders",
        format="csv",
        description="Successful payments.",
        key=("payment_id",),
        columns=(
            _c("payment_id", "VARCHAR", "Payment id.", required=True),
            _c("order_id", "VARCHAR", "Order paid.", required=True),
            _c("user_id", "VARCHAR", "Payer.", required=True),
            _c("paid_at", _TS, "Payment time.", required=True, not_future=True),
            _c("currency", "VARCHAR", "Payment currency. ISO 4217 code.", required=True, currency=True),
            _c("amount", _MONEY, "Amount paid.", required=True, non_negative=True),
            _c("method", "VARCHAR", "Payment method."),
        ),
    ),
    Feed(
        name="refunds",
        needed_by="refunds, net revenue and refunded fees",
        rate_date="refunded_at",
        source="orders",
        format="csv",
        description="Refunds, in the partition of the day they were made; `paid_amount` is the "
        "amount of the payment refunded, as the payment system records it.",
        key=("refund_id",),
        columns=(
            _c("refund_id", "VARCHAR", "Refund id.", required=True),
            _c("order_id", "VARCHAR", "Order refunded.", required=True),
            _c("refunded_at", _TS, "Refund time.", required=True, not_future=True),
            _c("currency", "VARCHAR", "Refund currency. ISO 4217 code.", required=True, currency=True),
            _c("amount", _MONEY, "Amount refunded.", required=True, non_negative=True),
            _c("paid_amount", _MONEY, "Amount of the payment refunded.", required=True, non_negative=True),
            _c(
                "fee_refund_amount",
                _MONEY,
                "Platform fees given back with the refund.",
                required=True,
                non_negative=True,
            ),
            _c("reason", "VARCHAR", "Refund reason.", max_length=MAX_TEXT_LENGTH),
        ),
        row_checks=(
            RowCheck("refund_le_payment", "amount <= paid_amount", "refund larger than the payment", "amount"),
        ),
    ),
    Feed(
        name="memberships",
        needed_by="fct_membership_mrr and membership revenue",
        source="orders",
        format="jsonl",
        description="Membership billing events: subscribe, renew, upgrade, downgrade, cancel.",
        key=("billing_event_id",),
        columns=(
            _c("billing_event_id", "VARCHAR", "Billing event id.", required=True),
            _c("user_id", "VARCHAR", "Member.", required=True),
            _c("event_type", "VARCHAR", "Billing event.", required=True, enum=MEMBERSHIP_EVENTS),
            _c("plan", "VARCHAR", "Plan after the event (the cancelled plan for `cancel`).", required=True),
            _c("amount", _MONEY, "Amount charged (0 for cancel).", required=True, non_negative=True),
            _c(
                "period_months",
                "INTEGER",
                "Billing period the amount covers: 1 or 12.",
                required=True,
                non_negative=True,
            ),
            _c("occurred_at", _TS, "Event time.", required=True, not_future=True),
        ),
    ),
    Feed(
        name="merchant_billing",
        needed_by="advertising and value-added services revenue in fct_revenue_daily",
        rate_date="billed_date",
        source="orders",
        format="csv",
        description="What merchants pay the platform besides commission: advertising and value-added services.",
        key=("billing_id",),
        columns=(
            _c("billing_id", "VARCHAR", "Billing line id.", required=True),
            _c("merchant_id", "VARCHAR", "Merchant billed.", required=True),
            _c("service_type", "VARCHAR", "Revenue stream.", required=True, enum=BILLING_SERVICES),
            _c("billed_date", "DATE", "Day billed (reporting timezone).", required=True),
            _c("currency", "VARCHAR", "Currency. ISO 4217 code.", required=True, currency=True),
            _c("amount", _MONEY, "Amount billed.", required=True, non_negative=True),
        ),
    ),
    Feed(
        name="merchants",
        needed_by="dim_merchants and fct_merchant_monthly",
        source="reference",
        format="csv",
        snapshot=True,
        description="Merchants and creators. Full snapshot every day.",
        key=("merchant_id",),
        columns=(
            _c("merchant_id", "VARCHAR", "Merchant id.", required=True),
            _c("merchant_name", "VARCHAR", "Name (often Chinese).", required=True, max_length=MAX_NAME_LENGTH),
            _c("category", "VARCHAR", "Main category.", required=True),
            _c("commission_rate", "DECIMAL(6,4)", "Commission rate on GMV.", required=True, non_negative=True),
            _c("joined_date", "DATE", "Day the merchant joined.", required=True),
            _c("is_creator", "BOOLEAN", "Whether the merchant also publishes content (PGC).", required=True),
        ),
    ),
    Feed(
        name="campaigns",
        needed_by="fct_campaign_performance",
        source="reference",
        format="csv",
        snapshot=True,
        description="Operations campaigns and activities. Full snapshot every day.",
        key=("campaign_id",),
        columns=(
            _c("campaign_id", "VARCHAR", "Campaign id.", required=True),
            _c("campaign_name", "VARCHAR", "Name.", required=True, max_length=MAX_NAME_LENGTH),
            _c("campaign_type", "VARCHAR", "Type.", required=True, enum=CAMPAIGN_TYPES),
            _c("budget", _MONEY, "Budget in the reporting currency.", required=True, non_negative=True),
            _c("start_date", "DATE", "First day.", required=True),
            _c("end_date", "DATE", "Last day.", required=True),
            _c("eligibility", "VARCHAR", "Who is eligible.", max_length=MAX_TEXT_LENGTH),
            _c(
                "holdout_share",
                "DECIMAL(5,4)",
                "Share of eligible users held out (0 = no holdout).",
                required=True,
                non_negative=True,
            ),
            _c("reward_cost", _MONEY, "Cash cost per reward (coupon value, prize).", required=True, non_negative=True),
            _c("points_unit_cost", "DECIMAL(10,4)", "Money value of one point.", required=True, non_negative=True),
        ),
        row_checks=(RowCheck("end_after_start", "end_date >= start_date", "ends before it starts", "end_date"),),
    ),
    Feed(
        name="campaign_assignments",
        needed_by="the treated and held-out groups of fct_campaign_performance",
        source="reference",
        format="csv",
        description="Which eligible users a campaign treats and which it holds out, landed on "
        "the campaign's first day.",
        key=("campaign_id", "user_id"),
        columns=(
            _c("campaign_id", "VARCHAR", "Campaign id.", required=True),
            _c("user_id", "VARCHAR", "Eligible user.", required=True),
            _c("assignment_group", "VARCHAR", "Group.", required=True, enum=ASSIGNMENT_GROUPS),
            _c("assigned_at", _TS, "Assignment time.", required=True, not_future=True),
        ),
    ),
    Feed(
        name="content_items",
        needed_by="fct_content_daily and fct_hot_topics",
        source="reference",
        format="jsonl",
        description="Content published that day: user posts (UGC) and professional posts (PGC).",
        key=("content_id",),
        columns=(
            _c("content_id", "VARCHAR", "Content id.", required=True),
            _c("creator_id", "VARCHAR", "User id (UGC) or merchant id (PGC).", required=True),
            _c("content_type", "VARCHAR", "UGC or PGC.", required=True, enum=CONTENT_TYPES),
            _c("topic", "VARCHAR", "Topic.", required=True, max_length=MAX_NAME_LENGTH),
            _c("title", "VARCHAR", "Title (often Chinese).", max_length=MAX_TEXT_LENGTH),
            _c("published_at", _TS, "Publication time.", required=True, not_future=True),
            _c("is_removed", "BOOLEAN", "Removed by moderation.", required=True),
        ),
    ),
    Feed(
        name="survey_responses",
        needed_by="NPS and CSAT in fct_feedback_periodic, latest_nps_score in dim_users and the audiences",
        source="feedback",
        format="jsonl",
        description="Survey answers as the survey tool exports them: NPS (0-10, 'how likely are you "
        "to recommend us') and CSAT (1-5, 'how satisfied are you'), in the partition of the day they "
        "were answered. A response re-sent in a later delivery replaces the earlier one.",
        key=("response_id",),
        columns=(
            _c("response_id", "VARCHAR", "Response id.", required=True, max_length=MAX_NAME_LENGTH),
            _c("survey_id", "VARCHAR", "The survey (one questionnaire sent in one wave).", required=True),
            _c("survey_type", "VARCHAR", "nps or csat.", required=True, enum=SURVEY_TYPES),
            _c("user_id", "VARCHAR", "Respondent.", required=True),
            _c(
                "survey_channel",
                "VARCHAR",
                "Where the survey reached the user: in_app, email, sms or push.",
                required=True,
                enum=SURVEY_CHANNELS,
            ),
            _c("score", "INTEGER", "The answer: 0-10 for nps, 1-5 for csat.", required=True, non_negative=True),
            _c("comment", "VARCHAR", "Free-text comment (often Chinese).", max_length=MAX_TEXT_LENGTH),
            _c("answered_at", _TS, "Answer time.", required=True, not_future=True),
        ),
        row_checks=(
            RowCheck(
                "score_on_scale",
                "(survey_type = 'nps' and score <= 10) or (survey_type = 'csat' and score between 1 and 5)",
                "score outside the survey's scale (nps 0-10, csat 1-5)",
                "score",
            ),
        ),
    ),
    Feed(
        name="support_tickets",
        needed_by="fct_support_daily, fct_support_categories_weekly, open_tickets in dim_users and the audiences",
        source="feedback",
        format="csv",
        description="Support ticket changes as the help desk exports them: a full row each time a "
        "ticket changes status (created, first_response, resolved, reopened), in the partition of the "
        "day of the change. The user's rating after a resolution (1-5) comes on the resolved row.",
        key=("ticket_id", "changed_at"),
        columns=(
            _c("ticket_id", "VARCHAR", "Ticket id.", required=True, max_length=MAX_NAME_LENGTH),
            _c("user_id", "VARCHAR", "User who opened the ticket.", required=True),
            _c("status", "VARCHAR", "Status after this change.", required=True, enum=TICKET_STATUSES),
            _c("created_at", _TS, "When the ticket was opened.", required=True, not_future=True),
            _c("changed_at", _TS, "Time of this change.", required=True, not_future=True),
            _c(
                "category",
                "VARCHAR",
                "Topic of the ticket (payment, delivery ...).",
                required=True,
                max_length=MAX_NAME_LENGTH,
            ),
            _c("priority", "VARCHAR", "low, normal, high or urgent.", required=True, enum=TICKET_PRIORITIES),
            _c(
                "contact_channel",
                "VARCHAR",
                "How the user reached support: in_app_chat, phone, email or social.",
                required=True,
                enum=CONTACT_CHANNELS,
            ),
            _c(
                "satisfaction",
                "INTEGER",
                "Rating after the resolution, 1-5 (resolved rows only; optional).",
                non_negative=True,
            ),
        ),
        row_checks=(
            RowCheck(
                "changed_after_created", "changed_at >= created_at", "changed before it was created", "changed_at"
            ),
            RowCheck(
                "satisfaction_on_resolution",
                "satisfaction is null or (status = 'resolved' and satisfaction between 1 and 5)",
                "a rating outside 1-5 or on a row that is not a resolution",
                "satisfaction",
            ),
        ),
    ),
)

FEEDS_BY_NAME: dict[str, Feed] = {f.name: f for f in FEEDS}
SOURCES: tuple[str, ...] = tuple(dict.fromkeys(f.source for f in FEEDS))


def feeds_of(source: str) -> list[Feed]:
    """The feeds a source system delivers."""
    return [f for f in FEEDS if f.source == source]


def get_feed(name: str) -> Feed:
    """The feed called ``name``, or a KeyError that lists the known feeds."""
    try:
        return FEEDS_BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown feed {name!r}; known feeds: {', '.join(FEEDS_BY_NAME)}") from None
