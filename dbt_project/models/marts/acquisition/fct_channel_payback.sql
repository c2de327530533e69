-- Grain: channel x registration month (month_start) x days since registration. The cohort is the
-- users a channel acquired (first touch) in the month; its spend is the channel's spend in that
-- month. Cumulative platform revenue counts each user's revenue up to day k after their own
-- registration day. payback_day is the first k at which it reaches the spend: NULL until then,
-- and NULL for cohorts without spend (organic channels, direct).
with ad_spend as (

    select * from {{ ref('stg_channels__ad_spend') }}

),

users as (

    select * from {{ ref('int_users_attributed') }}

),

user_revenue as (

    select * from {{ ref('int_user_revenue_daily') }}

),

as_of as (

    select greatest(max(users.registered_date), max(user_revenue.date_day)) as as_of_date
    from users
    left join user_revenue on users.user_id = user_revenue.user_id

),

cohorts as (

    select
        first_touch_channel as channel,
        {{ dbt.date_trunc('month', 'registered_date') }} as month_start,
        count(*) as cohort_users
    from users
    group by first_touch_channel, {{ dbt.date_trunc('month', 'registered_date') }}

),

cohort_spend as (

    select
        channel,
        {{ dbt.date_trunc('month', 'date_day') }} as month_start,
        sum(spend) as cohort_spend
    from ad_spend
    group by channel, {{ dbt.date_trunc('month', 'date_day') }}

),

revenue_by_day as (

    {{ cohort_revenue('days_since_registration', dbt.datediff('users.registered_date', 'user_revenue.date_day', 'day')) }}

),

spine as (

    select
        cohorts.channel,
        cohorts.month_start,
        cohorts.cohort_users,
        {{ int_series('0', (dbt.datediff('cohorts.month_start', 'as_of.as_of_date', 'day'))) }}
            as days_since_registration
    from cohorts
    cross join as_of

),

cumulative as (

    select
        spine.channel,
        spine.month_start,
        spine.days_since_registration,
        spine.cohort_users,
        {{ needs('ad_spend', 'cast(coalesce(cohort_spend.cohort_spend, 0) as decimal(18, 2))') }} as cohort_spend,
        cast(sum(coalesce(revenue_by_day.platform_revenue, 0)) over (
            partition by spine.channel, spine.month_start order by spine.days_since_registration
        ) as decimal(18, 2)) as cumulative_platform_revenue,
        cast(sum(coalesce(revenue_by_day.net_revenue, 0)) over (
            partition by spine.channel, spine.month_start order by spine.days_since_registration
        ) as decimal(18, 2)) as cumulative_net_revenue
    from spine
    left join cohort_spend
        on spine.channel = cohort_spend.channel and spine.month_start = cohort_spend.month_start
    left join revenue_by_day
        on
            spine.channel = revenue_by_day.channel
            and spine.month_start = revenue_by_day.month_start
            and spine.days_since_registration = revenue_by_day.days_since_registration

),

final as (

    select
        channel,
        cast(month_start as date) as month_start,
        days_since_registration,
        cohort_users,
        cohort_spend,
        cumulative_platform_revenue,
        cumulative_net_revenue,
        cast(cumulative_platform_revenue as double) / nullif(cohort_spend, 0) as payback_ratio,
        min(case when cohort_spend > 0 and cumulative_platform_revenue >= cohort_spend then days_since_registration end)
            over (partition by channel, month_start) as payback_day,
        cohort_spend > 0 and cumulative_platform_revenue >= cohort_spend as is_paid_back
    from cumulative

)

select * from final
