-- One row per real user and reporting day on which the user had at least one qualifying event
-- (var `active_event_types`). Incremental: each run recomputes the trailing `lookback_days`
-- before the newest day it holds, so late events land on the day they happened. Rows of an
-- account flagged as a test account later stay here, but every reader joins int_users_attributed,
-- which drops it.
{{
    config(
        materialized='incremental',
        unique_key='activity_date',
        incremental_strategy='delete+insert',
        on_schema_change='fail'
    )
}}
with events as (

    select * from {{ ref('stg_events__events') }}

),

users as (

    select * from {{ ref('int_users_attributed') }}

),

final as (

    select
        events.user_id,
        events.event_date as activity_date,
        count(*) as events
    from events
    inner join users on events.user_id = users.user_id
    where
        events.event_type in ({{ quoted_list(var('active_event_types')) }})  -- noqa: LT05
    {% if is_incremental() %}
            and events.event_date >= (
                select {{ dbt.dateadd('day', -var('lookback_days'), 'max(activity_date)') }} from {{ this }}
            )
        {% endif %}
    group by events.user_id, events.event_date

)

select * from final
