-- A real user's states as spans of days (see the `user_state` docs block): one row per activity
-- segment (from an active day, or the registration day, to the day before the next) and state the
-- user passes through in it: new, resurrected, active, dormant, churned. `valid_to` is the last
-- day of the span, NULL while it is open (the user's last segment ends in churned, until they come
-- back). A user's state on a day is that of the span covering it, so a year of history holds a row
-- per active user-day (and a few per gap), not one per user and day.
--
-- A table rebuilt by each build: it reads the activity table once (a window over active user-days),
-- which is far cheaper than the users x days it replaces. Rebuilding only the users whose days
-- changed was measured slower: orders change up to 12 days after they are placed, so a daily
-- build's changed days reach back that far and touch most active users (bench/RESULTS.md).
{{ config(materialized='table') }}
with users as (

    select * from {{ ref('int_users_attributed') }}

),

activity as (

    select * from {{ ref('int_user_activity_daily') }}

),

segment_starts as (

    select
        users.user_id,
        users.registered_date,
        users.registered_date as segment_start
    from users
    union
    select
        activity.user_id,
        users.registered_date,
        activity.activity_date as segment_start
    from activity
    inner join users on activity.user_id = users.user_id
    where activity.activity_date >= users.registered_date

),

segments as (

    select
        user_id,
        registered_date,
        segment_start,
        {{ dbt.dateadd('day', -1, 'lead(segment_start) over (partition by user_id order by segment_start)') }} as segment_end,
        {{ dbt.datediff('lag(segment_start) over (partition by user_id order by segment_start)', 'segment_start', 'day') }} - 1
        >= {{ var('churn_after_days') }} as is_resurrection
    from segment_starts

),

with_resurrection as (

    select
        user_id,
        registered_date,
        segment_start,
        segment_end,
        max(case when is_resurrection then segment_start end) over (
            partition by user_id order by segment_start rows between unbounded preceding and current row
        ) as resurrected_date
    from segments

),

-- the days from which each state's condition holds or stops holding, in the segment
bounds as (

    select
        *,
        {{ dbt.dateadd('day', var('new_user_days'), 'registered_date') }} as new_until,
        {{ dbt.dateadd('day', var('resurrected_days'), 'resurrected_date') }} as resurrected_until,
        {{ dbt.dateadd('day', var('dormant_after_days'), 'segment_start') }} as dormant_from,
        {{ dbt.dateadd('day', var('churn_after_days'), 'segment_start') }} as churned_from
    from with_resurrection

),

-- each state's days in the segment, [from, until): later conditions apply only after the earlier
-- ones stop, as in the `user_state` docs block (new first, then resurrected, active, dormant)
candidates as (

    select
        user_id,
        segment_start,
        resurrected_date,
        segment_end,
        'new' as user_state,
        segment_start as span_from,
        new_until as span_until
    from bounds
    union all
    select
        user_id,
        segment_start,
        resurrected_date,
        segment_end,
        'resurrected' as user_state,
        greatest(segment_start, new_until) as span_from,
        least(dormant_from, resurrected_until) as span_until
    from bounds
    where resurrected_date is not null
    union all
    select
        user_id,
        segment_start,
        resurrected_date,
        segment_end,
        'active' as user_state,
        greatest(segment_start, new_until, coalesce(resurrected_until, segment_start)) as span_from,
        dormant_from as span_until
    from bounds
    union all
    select
        user_id,
        segment_start,
        resurrected_date,
        segment_end,
        'dormant' as user_state,
        greatest(segment_start, new_until, dormant_from) as span_from,
        churned_from as span_until
    from bounds
    union all
    select
        user_id,
        segment_start,
        resurrected_date,
        segment_end,
        'churned' as user_state,
        greatest(segment_start, new_until, churned_from) as span_from,
        null as span_until
    from bounds

),

final as (

    select
        user_id,
        user_state,
        span_from as valid_from,
        {{ earlier_end('segment_end', dbt.dateadd('day', -1, 'span_until')) }} as valid_to,
        segment_start,
        resurrected_date
    from candidates
    where
        (span_until is null or span_from < span_until)
        and (segment_end is null or span_from <= segment_end)

)

select * from final
