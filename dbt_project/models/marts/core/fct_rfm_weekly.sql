-- Grain: weekly snapshot (snapshot_date: each Sunday, and the as-of day for the week still
-- running) x real user registered by then. The RFM segment as dim_users defines it, computed as
-- of each snapshot: recency = days since the last paid order, frequency and monetary = paid
-- orders and net spend in the `rfm_window_days` before the snapshot, each scored 1-5 with
-- ntile(5) over that snapshot's buyers (user_id breaking ties); users with no paid order yet are
-- `no_orders`. previous_segment is the user's segment one snapshot before (NULL at the first),
-- so a dashboard sees who moved from loyal to at risk. orders and net_spend are lifetime, up to the
-- snapshot, and value_tier ranks net_spend among the snapshot's buyers as dim_users does (top 10%
-- high, next 40% medium, the rest low, none without a paid order).
with users as (

    select * from {{ ref('int_users_attributed') }}

),

orders as (

    select * from {{ ref('fct_orders') }}

),

as_of as (

    {{ as_of_date() }}

),

weeks as (

    select
        {{ date_series('cast(' ~ (dbt.date_trunc('week', 'min(users.registered_date)')) ~ ' as date)', 'max(as_of.as_of_date)', '7 day') }} as week_start
    from users
    cross join as_of

),

snapshots as (

    select least(cast({{ dbt.dateadd('day', 6, 'weeks.week_start') }} as date), as_of.as_of_date) as snapshot_date
    from weeks
    cross join as_of

),

paid as (

    select
        user_id,
        paid_date,
        net_revenue
    from orders
    where is_paid and not is_cancelled

),

order_history as (

    select
        snapshots.snapshot_date,
        paid.user_id,
        count(*) as orders,
        sum(paid.net_revenue) as net_spend,
        max(paid.paid_date) as last_order_date,
        count(
            case
                when paid.paid_date > {{ dbt.dateadd('day', -var('rfm_window_days'), 'snapshots.snapshot_date') }}
                    then 1
            end
        ) as frequency,
        sum(
            case
                when paid.paid_date > {{ dbt.dateadd('day', -var('rfm_window_days'), 'snapshots.snapshot_date') }}
                    then paid.net_revenue
                else 0
            end
        ) as monetary
    from snapshots
    inner join paid on snapshots.snapshot_date >= paid.paid_date
    group by snapshots.snapshot_date, paid.user_id

),

scored as (

    select
        *,
        cast({{ dbt.datediff('last_order_date', 'snapshot_date', 'day') }} as bigint) as recency_days,
        cast(ntile(5) over (partition by snapshot_date order by last_order_date asc, user_id asc) as bigint) as recency_score,
        cast(ntile(5) over (partition by snapshot_date order by frequency asc, user_id asc) as bigint) as frequency_score,
        cast(ntile(5) over (partition by snapshot_date order by monetary asc, user_id asc) as bigint) as monetary_score,
        percent_rank() over (partition by snapshot_date order by net_spend asc, user_id asc) as net_spend_percentile
    from order_history

),

segmented as (

    select
        snapshots.snapshot_date,
        users.user_id,
        {{ rfm_segment('scored.user_id', 'scored.recency_score', 'scored.frequency_score', 'scored.monetary_score', 'scored.orders') }}
            as rfm_segment,
        scored.recency_days,
        coalesce(scored.frequency, 0) as frequency,
        cast(coalesce(scored.monetary, 0) as decimal(18, 2)) as monetary,
        scored.recency_score,
        scored.frequency_score,
        scored.monetary_score,
        coalesce(scored.orders, 0) as orders,
        cast(coalesce(scored.net_spend, 0) as decimal(18, 2)) as net_spend,
        case
            when scored.user_id is null then 'none'
            when scored.net_spend_percentile >= 0.9 then 'high'
            when scored.net_spend_percentile >= 0.5 then 'medium'
            else 'low'
        end as value_tier
    from snapshots
    inner join users on snapshots.snapshot_date >= users.registered_date
    left join scored on snapshots.snapshot_date = scored.snapshot_date and users.user_id = scored.user_id

),

final as (

    select
        snapshot_date,
        user_id,
        rfm_segment,
        lag(rfm_segment) over (partition by user_id order by snapshot_date) as previous_segment,
        recency_days,
        frequency,
        monetary,
        recency_score,
        frequency_score,
        monetary_score,
        orders,
        net_spend,
        value_tier
    from segmented

)

select * from final
