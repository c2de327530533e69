-- Grain: reporting day x channel x campaign. Spend and ad stats on the channel's own day;
-- registrations on the registration day by first touch (last-touch beside it); new paying users
-- on the day of their first paid order; revenue D7 / D30 of the users registered that day, over
-- their first 7 / 30 days (registration day = day 0). Additive parts sit beside every ratio.
-- Incremental: a run rebuilds from the first day whose inputs changed since the last build, at
-- least the days whose numbers can still change (the trailing `lookback_days` plus the 30 days a
-- D30 window needs), and every day since the registration of
-- a user whose past changed since the last runs: an account found to be a test account, or an
-- order changed or refunded later, which moves its cohort's revenue (macro reprocess_from).
-- depends_on: {{ ref('stg_users__profile_updates') }}, {{ ref('stg_users__registrations') }}, {{ ref('stg_loader__changes') }}
-- depends_on: {{ ref('stg_orders__orders') }}, {{ ref('stg_orders__refunds') }}
{%- set rebuild = {'by': 'reprocess', 'window_days': 30, 'user_orders': true} %}
{{
    config(
        materialized='incremental',
        pre_hook=delete_from_floor('date_day', rebuild),
        on_schema_change='append_new_columns',
        **incremental_by_day('date_day')
    )
}}
with ad_spend as (

    select * from {{ ref('stg_channels__ad_spend') }}

),

users as (

    select * from {{ ref('int_users_attributed') }}

),

orders as (

    select * from {{ ref('fct_orders') }}

),

user_revenue as (

    select * from {{ ref('int_user_revenue_daily') }}

),

spend as (

    select
        date_day,
        channel,
        campaign_id,
        sum(spend) as spend,
        sum(impressions) as impressions,
        sum(clicks) as clicks
    from ad_spend
    group by date_day, channel, campaign_id

),

first_touch_registrations as (

    select
        registered_date as date_day,
        first_touch_channel as channel,
        first_touch_campaign_id as campaign_id,
        count(*) as registrations
    from users
    group by registered_date, first_touch_channel, first_touch_campaign_id

),

last_touch_registrations as (

    select
        registered_date as date_day,
        last_touch_channel as channel,
        last_touch_campaign_id as campaign_id,
        count(*) as registrations_last_touch
    from users
    group by registered_date, last_touch_channel, last_touch_campaign_id

),

new_payers as (

    select
        orders.paid_date as date_day,
        users.first_touch_channel as channel,
        users.first_touch_campaign_id as campaign_id,
        count(*) as new_paying_users
    from orders
    inner join users on orders.user_id = users.user_id
    where orders.is_first_order
    group by orders.paid_date, users.first_touch_channel, users.first_touch_campaign_id

),

cohort_revenue as (

    select
        users.registered_date as date_day,
        users.first_touch_channel as channel,
        users.first_touch_campaign_id as campaign_id,
        sum(
            case
                when
                    user_revenue.date_day < {{ dbt.dateadd('day', 7, 'users.registered_date') }}
                    then user_revenue.net_revenue else
                    0
            end
        )
            as revenue_d7,
        sum(
            case
                when
                    user_revenue.date_day < {{ dbt.dateadd('day', 30, 'users.registered_date') }}
                    then user_revenue.net_revenue else
                    0
            end
        )
            as revenue_d30,
        sum(
            case
                when
                    user_revenue.date_day < {{ dbt.dateadd('day', 30, 'users.registered_date') }}
                    then user_revenue.platform_revenue else
                    0
            end
        ) as platform_revenue_d30
    from users
    inner join user_revenue on users.user_id = user_revenue.user_id
    where user_revenue.date_day >= users.registered_date
    group by users.registered_date, users.first_touch_channel, users.first_touch_campaign_id

),

keys as (

    select
        date_day,
        channel,
        campaign_id
    from spend
    union
    select
        date_day,
        channel,
        campaign_id
    from first_touch_registrations
    union
    select
        date_day,
        channel,
        campaign_id
    from last_touch_registrations
    union
    select
        date_day,
        channel,
        campaign_id
    from new_payers

),

as_of as (

    select max(date_day) as as_of_date from keys

),

joined as (

    select
        keys.date_day,
        keys.channel,
        keys.campaign_id,
        {{ needs('ad_spend', 'cast(coalesce(spend.spend, 0) as decimal(18, 2))') }} as spend,
        {{ needs('ad_spend', 'cast(coalesce(spend.impressions, 0) as bigint)') }} as impressions,
        {{ needs('ad_spend', 'cast(coalesce(spend.clicks, 0) as bigint)') }} as clicks,
        coalesce(first_touch_registrations.registrations, 0) as registrations,
        coalesce(last_touch_registrations.registrations_last_touch, 0) as registrations_last_touch,
        coalesce(new_payers.new_paying_users, 0) as new_paying_users,
        cast(coalesce(cohort_revenue.revenue_d7, 0) as decimal(18, 2)) as revenue_d7,
        cast(coalesce(cohort_revenue.revenue_d30, 0) as decimal(18, 2)) as revenue_d30,
        cast(coalesce(cohort_revenue.platform_revenue_d30, 0) as decimal(18, 2)) as platform_revenue_d30,
        {{ dbt.dateadd('day', 6, 'keys.date_day') }} <= as_of.as_of_date as is_d7_complete,
        {{ dbt.dateadd('day', 29, 'keys.date_day') }} <= as_of.as_of_date as is_d30_complete
    from keys
    cross join as_of
    left join spend
        on keys.date_day = spend.date_day and keys.channel = spend.channel and keys.campaign_id = spend.campaign_id
    left join first_touch_registrations
        on
            keys.date_day = first_touch_registrations.date_day
            and keys.channel = first_touch_registrations.channel
            and keys.campaign_id = first_touch_registrations.campaign_id
    left join last_touch_registrations
        on
            keys.date_day = last_touch_registrations.date_day
            and keys.channel = last_touch_registrations.channel
            and keys.campaign_id = last_touch_registrations.campaign_id
    left join new_payers
        on
            keys.date_day = new_payers.date_day
            and keys.channel = new_payers.channel
            and keys.campaign_id = new_payers.campaign_id
    left join cohort_revenue
        on
            keys.date_day = cohort_revenue.date_day
            and keys.channel = cohort_revenue.channel
            and keys.campaign_id = cohort_revenue.campaign_id

),

final as (

    select
        date_day,
        channel,
        campaign_id,
        spend,
        impressions,
        clicks,
        registrations,
        registrations_last_touch,
        new_paying_users,
        revenue_d7,
        revenue_d30,
        platform_revenue_d30,
        cast(clicks as double) / nullif(impressions, 0) as ctr,
        {{ to_decimal("cast(spend as double) / nullif(clicks, 0)", 18, 4) }} as cpc,
        {{ to_decimal("cast(spend * 1000 as double) / nullif(impressions, 0)", 18, 4) }} as cpm,
        {{ to_decimal("cast(spend as double) / nullif(registrations, 0)", 18, 4) }} as cpa,
        {{ to_decimal("cast(spend as double) / nullif(new_paying_users, 0)", 18, 4) }} as cac,
        cast(revenue_d7 as double) / nullif(spend, 0) as roas_d7,
        cast(revenue_d30 as double) / nullif(spend, 0) as roas_d30,
        cast((platform_revenue_d30 - spend) as double) / nullif(spend, 0) as roi_d30,
        is_d7_complete,
        is_d30_complete
    from joined
    {% if is_incremental() %}
        where date_day >= {{ rebuild_floor(rebuild) }}
    {% endif %}

)

select * from final
