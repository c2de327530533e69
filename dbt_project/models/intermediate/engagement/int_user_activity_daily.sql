-- One row per real user and reporting day on which the user was active: at least one event that
-- counts as activity (every event but those the events mapping gives the role `not_activity`), or an
-- order placed that day (an export may hold orders and no events). Incremental: each run recomputes
-- from the first day whose inputs changed since the last build (late events, days loaded out of
-- order), and at least the trailing `lookback_days` before the newest day it holds. Rows of an
-- account flagged as a test account later stay here, but every reader joins int_users_attributed,
-- which drops it.
-- depends_on: {{ ref('stg_loader__changes') }}
{%- set rebuild = {'date_column': 'activity_date'} %}
{{
    config(
        materialized='incremental',
        pre_hook=delete_from_floor('activity_date', rebuild),
        on_schema_change='fail',
        **incremental_by_day('activity_date')
    )
}}
with events as (

    select * from {{ ref('stg_events__events') }}

),

orders as (

    select * from {{ ref('stg_orders__orders') }}

),

users as (

    select * from {{ ref('int_users_attributed') }}

),

-- counted per user and day first, then joined to the users: joining every event to the users
-- before grouping probed the users once per event (88 M times for a week at 10 M events a day),
-- where grouped it is once per user-day (10 M)
activities as (

    select
        user_id,
        event_date as activity_date,
        count(*) as events,
        0 as orders
    from events
    where not {{ has_role('not_activity') }}
    group by user_id, event_date
    union all
    select
        user_id,
        placed_date as activity_date,
        0 as events,
        count(*) as orders
    from orders
    group by user_id, placed_date

),

final as (

    select
        activities.user_id,
        activities.activity_date,
        sum(activities.events) as events,
        sum(activities.orders) as orders
    from activities
    inner join users on activities.user_id = users.user_id
    {% if is_incremental() %}
        -- from the first day whose inputs changed (everything while this holds no rows)
        where activities.activity_date >= {{ rebuild_floor(rebuild) }}
    {% endif %}
    group by activities.user_id, activities.activity_date

)

select * from final
