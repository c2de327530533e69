-- One row per reporting day: the wide KPI table a dashboard's first page reads, assembled from
-- the marts that own each number, with the same values one week earlier (`*_week_ago`) for
-- week-over-week change. D1 / D7 retention and ROAS D7 are those of the registration cohort of
-- 1 / 7 days before, which matures that day; their numerators and denominators stand beside
-- them (retained users and cohort size; the cohort's D7 revenue and its day's spend), so that a
-- dashboard can re-aggregate them over a week or a month. Blended CAC = (media spend + the
-- non-media acquisition costs of the day: partner fees, offline promotion, new-user coupons, from
-- the acquisition_costs feed) / new paying users. Test accounts are excluded everywhere.
with users as (

    select * from {{ ref('int_users_attributed') }}

),

active_users as (

    select * from {{ ref('fct_active_users_daily') }}

),

revenue as (

    select * from {{ ref('fct_revenue_daily') }}

),

channel_daily as (

    select * from {{ ref('fct_channel_daily') }}

),

acquisition_costs as (

    select * from {{ ref('stg_channels__acquisition_costs') }}

),

retention as (

    select * from {{ ref('fct_retention_daily_cohorts') }}

),

new_users as (

    select
        registered_date as date_day,
        count(*) as new_users
    from users
    group by registered_date

),

acquisition as (

    select
        date_day,
        sum(spend) as spend,
        sum(new_paying_users) as new_paying_users,
        sum(revenue_d7) as revenue_d7
    from channel_daily
    group by date_day

),

other_acquisition as (

    select
        date_day,
        sum(amount) as acquisition_cost
    from acquisition_costs
    group by date_day

),

cohort_retention as (

    select
        registered_date,
        sum(cohort_size) as cohort_size,
        sum(retained_d1) as retained_d1,
        sum(retained_d7) as retained_d7
    from retention
    group by registered_date

),

days as (

    select date_day from active_users
    where platform = 'all'
    union
    select date_day from new_users

),

daily as (

    select
        days.date_day,
        coalesce(new_users.new_users, 0) as new_users,
        coalesce(active_users.dau, 0) as dau,
        coalesce(active_users.wau, 0) as wau,
        coalesce(active_users.mau, 0) as mau,
        active_users.stickiness,
        coalesce(revenue.orders, 0) as orders,
        coalesce(revenue.paying_users, 0) as paying_users,
        coalesce(revenue.cancelled_orders, 0) as cancelled_orders,
        cast(coalesce(revenue.gmv, 0) as decimal(18, 2)) as gmv,
        cast(coalesce(revenue.net_revenue, 0) as decimal(18, 2)) as net_revenue,
        cast(coalesce(revenue.platform_revenue, 0) as decimal(18, 2)) as platform_revenue,
        revenue.arpu,
        revenue.arppu,
        {{ needs('ad_spend', 'cast(coalesce(acquisition.spend, 0) as decimal(18, 2))') }} as spend,
        cast(coalesce(acquisition.new_paying_users, 0) as bigint) as new_paying_users,
        {{ to_decimal("cast(acquisition.spend as double) / nullif(acquisition.new_paying_users, 0)", 18, 4) }} as cac,
        {{ needs('acquisition_costs', 'cast(coalesce(other_acquisition.acquisition_cost, 0) as decimal(18, 2))') }}
            as acquisition_cost,
        {{ needs('acquisition_costs', to_decimal(
            "cast(coalesce(acquisition.spend, 0) + coalesce(other_acquisition.acquisition_cost, 0) as double) / nullif(acquisition.new_paying_users, 0)", 18, 4
        )) }}
            as blended_cac,
        cast(d7_cohort_acquisition.revenue_d7 as double) / nullif(d7_cohort_acquisition.spend, 0) as roas_d7,
        cast(d7_cohort_acquisition.revenue_d7 as decimal(18, 2)) as roas_d7_revenue,
        {{ needs('ad_spend', 'cast(d7_cohort_acquisition.spend as decimal(18, 2))') }} as roas_d7_spend,
        cast(d1_cohort.retained_d1 as double) / nullif(d1_cohort.cohort_size, 0) as retention_d1,
        cast(d1_cohort.retained_d1 as bigint) as retention_d1_retained,
        cast(d1_cohort.cohort_size as bigint) as retention_d1_cohort_size,
        cast(d7_cohort.retained_d7 as double) / nullif(d7_cohort.cohort_size, 0) as retention_d7,
        cast(d7_cohort.retained_d7 as bigint) as retention_d7_retained,
        cast(d7_cohort.cohort_size as bigint) as retention_d7_cohort_size
    from days
    left join new_users on days.date_day = new_users.date_day
    left join active_users on days.date_day = active_users.date_day and active_users.platform = 'all'
    left join revenue on days.date_day = revenue.date_day and revenue.is_day_total
    left join acquisition on days.date_day = acquisition.date_day
    left join other_acquisition on days.date_day = other_acquisition.date_day
    left join acquisition as d7_cohort_acquisition
        on d7_cohort_acquisition.date_day = {{ dbt.dateadd('day', -7, 'days.date_day') }}
    left join cohort_retention as d1_cohort
        on d1_cohort.registered_date = {{ dbt.dateadd('day', -1, 'days.date_day') }}
    left join cohort_retention as d7_cohort
        on d7_cohort.registered_date = {{ dbt.dateadd('day', -7, 'days.date_day') }}

),

final as (

    select
        daily.*,
        week_ago.new_users as new_users_week_ago,
        week_ago.dau as dau_week_ago,
        week_ago.mau as mau_week_ago,
        week_ago.orders as orders_week_ago,
        week_ago.paying_users as paying_users_week_ago,
        week_ago.gmv as gmv_week_ago,
        week_ago.net_revenue as net_revenue_week_ago,
        week_ago.platform_revenue as platform_revenue_week_ago,
        week_ago.spend as spend_week_ago,
        week_ago.cac as cac_week_ago,
        week_ago.roas_d7 as roas_d7_week_ago,
        week_ago.arpu as arpu_week_ago,
        week_ago.arppu as arppu_week_ago,
        week_ago.retention_d1 as retention_d1_week_ago,
        week_ago.retention_d7 as retention_d7_week_ago
    from daily
    left join daily as week_ago on week_ago.date_day = {{ dbt.dateadd('day', -7, 'daily.date_day') }}

)

select * from final
