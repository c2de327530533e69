-- Grain: registration month (month_start) x months since registration x channel (first touch).
-- Months are calendar months in the reporting timezone: revenue on the last day of the
-- registration month is month 0, on the first day of the next month month 1. Revenue is
-- attached to the order's day, refunds included whenever they were made.
with users as (

    select * from {{ ref('int_users_attributed') }}

),

user_revenue as (

    select * from {{ ref('int_user_revenue_daily') }}

),

as_of as (

    {{ as_of_date() }}

),

cohorts as (

    select
        cast({{ dbt.date_trunc('month', 'registered_date') }} as date) as month_start,
        first_touch_channel as channel,
        count(*) as cohort_size
    from users
    group by cast({{ dbt.date_trunc('month', 'registered_date') }} as date), first_touch_channel

),

revenue as (

    {{ cohort_revenue(
        'months_since_registration',
        dbt.datediff(dbt.date_trunc('month', 'users.registered_date'), dbt.date_trunc('month', 'user_revenue.date_day'), 'month'),
    ) }}

),

spine as (

    select
        cohorts.month_start,
        cohorts.channel,
        cohorts.cohort_size,
        {{ int_series('0', (dbt.datediff('cohorts.month_start', dbt.date_trunc('month', 'as_of.as_of_date'), 'month'))) }} as months_since_registration
    from cohorts
    cross join as_of

),

cumulative as (

    select
        spine.month_start,
        spine.channel,
        spine.months_since_registration,
        spine.cohort_size,
        cast(sum(coalesce(revenue.net_revenue, 0)) over (
            partition by spine.month_start, spine.channel order by spine.months_since_registration
        ) as decimal(18, 2)) as cumulative_net_revenue,
        cast(sum(coalesce(revenue.platform_revenue, 0)) over (
            partition by spine.month_start, spine.channel order by spine.months_since_registration
        ) as decimal(18, 2)) as cumulative_platform_revenue
    from spine
    left join revenue
        on
            spine.month_start = revenue.month_start
            and spine.channel = revenue.channel
            and spine.months_since_registration = revenue.months_since_registration

),

final as (

    select
        channel,
        months_since_registration,
        cohort_size,
        cumulative_net_revenue,
        cumulative_platform_revenue,
        {{ to_decimal("cast(cumulative_net_revenue as double) / nullif(cohort_size, 0)", 18, 4) }} as ltv_net_revenue,
        {{ to_decimal("cast(cumulative_platform_revenue as double) / nullif(cohort_size, 0)", 18, 4) }} as ltv_platform_revenue,
        month_start
    from cumulative

)

select * from final
