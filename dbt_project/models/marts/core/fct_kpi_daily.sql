-- One row per reporting day: the headline numbers a dashboard's first page reads.
-- Test accounts are excluded everywhere. The monetization issue widens this table
-- (retention, ARPU, CAC, ROAS, week-over-week values) without changing these columns.
-- Incremental: each run rebuilds the last `lookback_days` days before the newest one it
-- holds, so late events and restated spend land in the right day.
{{
    config(
        materialized='incremental',
        unique_key='date_day',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns'
    )
}}
with registrations as (

    select * from {{ ref('stg_users__registrations') }}

),

events as (

    select * from {{ ref('stg_events__events') }}

),

orders as (

    select * from {{ ref('stg_orders__orders') }}

),

ad_spend as (

    select * from {{ ref('stg_channels__ad_spend') }}

),

real_users as (

    select user_id
    from registrations
    where not is_test

),

new_users as (

    select
        registered_date as date_day,
        count(*) as new_users
    from registrations
    where not is_test
    group by registered_date

),

active_users as (

    select
        events.event_date as date_day,
        count(distinct events.user_id) as dau
    from events
    inner join real_users on events.user_id = real_users.user_id
    where events.event_type in ({{ quoted_list(var('active_event_types')) }})  -- noqa: LT05
    group by events.event_date

),

placed_orders as (

    select
        orders.placed_date as date_day,
        sum(case when not orders.is_cancelled then orders.gmv else 0 end) as gmv,
        count(case when orders.is_cancelled then 1 end) as cancelled_orders
    from orders
    inner join real_users on orders.user_id = real_users.user_id
    group by orders.placed_date

),

paid_orders as (

    select
        orders.paid_date as date_day,
        count(distinct orders.order_id) as orders,
        count(distinct orders.user_id) as paying_users
    from orders
    inner join real_users on orders.user_id = real_users.user_id
    where orders.is_paid
    group by orders.paid_date

),

spend as (

    select
        date_day,
        sum(spend) as spend
    from ad_spend
    group by date_day

),

days as (

    select date_day from active_users
    union
    select date_day from new_users

),

final as (

    select
        days.date_day,
        coalesce(new_users.new_users, 0) as new_users,
        coalesce(active_users.dau, 0) as dau,
        coalesce(paid_orders.orders, 0) as orders,
        coalesce(paid_orders.paying_users, 0) as paying_users,
        coalesce(placed_orders.cancelled_orders, 0) as cancelled_orders,
        cast(coalesce(placed_orders.gmv, 0) as decimal(18, 2)) as gmv,
        cast(coalesce(spend.spend, 0) as decimal(18, 2)) as spend
    from days
    left join new_users on days.date_day = new_users.date_day
    left join active_users on days.date_day = active_users.date_day
    left join placed_orders on days.date_day = placed_orders.date_day
    left join paid_orders on days.date_day = paid_orders.date_day
    left join spend on days.date_day = spend.date_day
    {% if is_incremental() %}
        where days.date_day >= (
            select {{ dbt.dateadd('day', -var('lookback_days'), 'max(date_day)') }} from {{ this }}
        )
    {% endif %}

)

select * from final
