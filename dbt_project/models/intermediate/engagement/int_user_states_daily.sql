-- One row per real user and reporting day from registration to the newest activity day, with
-- the user's state (see the `user_state` docs block): new, resurrected, active, dormant or
-- churned. Built from the user's activity segments (an active day up to the day before the next),
-- so a user's days are generated once, not joined against their whole history.
{{ config(materialized='table') }}
with users as (

    select * from {{ ref('int_users_attributed') }}

),

activity as (

    select * from {{ ref('int_user_activity_daily') }}

),

as_of as (

    {{ as_of_date() }}

),

segment_starts as (

    select
        user_id,
        registered_date as segment_start
    from users
    union
    select
        activity.user_id,
        activity.activity_date as segment_start
    from activity
    inner join users on activity.user_id = users.user_id
    where activity.activity_date >= users.registered_date

),

segments as (

    select
        user_id,
        segment_start,
        lead(segment_start) over (partition by user_id order by segment_start) as next_segment_start,
        {{ dbt.datediff('lag(segment_start) over (partition by user_id order by segment_start)', 'segment_start', 'day') }} - 1
        >= {{ var('churn_after_days') }} as is_resurrection
    from segment_starts

),

with_resurrection as (

    select
        segments.user_id,
        segments.segment_start,
        segments.next_segment_start,
        max(case when segments.is_resurrection then segments.segment_start end) over (
            partition by segments.user_id order by segments.segment_start rows between unbounded preceding and current row
        ) as resurrected_date
    from segments

),

user_days as (

    select
        with_resurrection.user_id,
        cast(unnest(generate_series(
            with_resurrection.segment_start,
            least(
                coalesce({{ dbt.dateadd('day', -1, 'with_resurrection.next_segment_start') }}, as_of.as_of_date),
                as_of.as_of_date
            ),
            interval 1 day
        )) as date) as date_day,
        with_resurrection.segment_start as last_active_date,
        with_resurrection.resurrected_date
    from with_resurrection
    cross join as_of
    where with_resurrection.segment_start <= as_of.as_of_date

),

final as (

    select
        user_days.user_id,
        case
            when {{ dbt.datediff('users.registered_date', 'user_days.date_day', 'day') }} < {{ var('new_user_days') }}
                then 'new'
            when
                {{ dbt.datediff('user_days.last_active_date', 'user_days.date_day', 'day') }} < {{ var('dormant_after_days') }}
                and {{ dbt.datediff('user_days.resurrected_date', 'user_days.date_day', 'day') }} < {{ var('resurrected_days') }}
                then 'resurrected'
            when {{ dbt.datediff('user_days.last_active_date', 'user_days.date_day', 'day') }} < {{ var('dormant_after_days') }}
                then 'active'
            when {{ dbt.datediff('user_days.last_active_date', 'user_days.date_day', 'day') }} < {{ var('churn_after_days') }}
                then 'dormant'
            else 'churned'
        end as user_state,
        {{ dbt.datediff('user_days.last_active_date', 'user_days.date_day', 'day') }} as days_since_active,
        user_days.date_day,
        user_days.last_active_date,
        user_days.resurrected_date
    from user_days
    inner join users on user_days.user_id = users.user_id

)

select * from final
