-- Grain: period type (day, month) x period start x channel: fct_channel_daily rolled up over its
-- campaigns (and, for months, its days). Counts and amounts are sums; every ratio is taken again
-- from the sums (CAC = spend / new paying users of the period, never an average of daily CACs).
-- `is_d7_complete` / `is_d30_complete` hold when every day of the period has its D7 / D30
-- revenue; `is_period_partial` flags the month that holds the as-of day and has not ended.
with channel_daily as (

    select * from {{ ref('fct_channel_daily') }}

),

as_of as (

    {{ as_of_date() }}

),

rolled as (

    {% for period in ['day', 'month'] %}
        select
            '{{ period }}' as period_type,
            cast({{ dbt.date_trunc(period, 'date_day') }} as date) as period_start,
            channel,
            sum(spend) as spend,
            sum(impressions) as impressions,
            sum(clicks) as clicks,
            sum(registrations) as registrations,
            sum(registrations_last_touch) as registrations_last_touch,
            sum(new_paying_users) as new_paying_users,
            sum(revenue_d7) as revenue_d7,
            sum(revenue_d30) as revenue_d30,
            sum(platform_revenue_d30) as platform_revenue_d30,
            bool_and(is_d7_complete) as is_d7_complete,
            bool_and(is_d30_complete) as is_d30_complete
        from channel_daily
        group by cast({{ dbt.date_trunc(period, 'date_day') }} as date), channel
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

final as (

    select
        rolled.period_type,
        rolled.period_start,
        rolled.channel,
        cast(rolled.spend as decimal(18, 2)) as spend,
        cast(rolled.impressions as bigint) as impressions,
        cast(rolled.clicks as bigint) as clicks,
        cast(rolled.registrations as bigint) as registrations,
        cast(rolled.registrations_last_touch as bigint) as registrations_last_touch,
        cast(rolled.new_paying_users as bigint) as new_paying_users,
        cast(rolled.revenue_d7 as decimal(18, 2)) as revenue_d7,
        cast(rolled.revenue_d30 as decimal(18, 2)) as revenue_d30,
        cast(rolled.platform_revenue_d30 as decimal(18, 2)) as platform_revenue_d30,
        cast(rolled.clicks as double) / nullif(rolled.impressions, 0) as ctr,
        {{ to_decimal("cast(rolled.spend as double) / nullif(rolled.clicks, 0)", 18, 4) }} as cpc,
        {{ to_decimal("cast(rolled.spend * 1000 as double) / nullif(rolled.impressions, 0)", 18, 4) }} as cpm,
        {{ to_decimal("cast(rolled.spend as double) / nullif(rolled.registrations, 0)", 18, 4) }} as cpa,
        {{ to_decimal("cast(rolled.spend as double) / nullif(rolled.new_paying_users, 0)", 18, 4) }} as cac,
        cast(rolled.revenue_d7 as double) / nullif(rolled.spend, 0) as roas_d7,
        cast(rolled.revenue_d30 as double) / nullif(rolled.spend, 0) as roas_d30,
        cast((rolled.platform_revenue_d30 - rolled.spend) as double) / nullif(rolled.spend, 0) as roi_d30,
        rolled.is_d7_complete,
        rolled.is_d30_complete,
        rolled.period_type = 'month'
        and {{ dbt.dateadd('month', 1, 'rolled.period_start') }} > {{ dbt.dateadd('day', 1, 'as_of.as_of_date') }}
            as is_period_partial
    from rolled
    cross join as_of

)

select * from final
