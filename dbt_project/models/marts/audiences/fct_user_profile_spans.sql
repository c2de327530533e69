-- Grain: real user x span of days (valid_from .. valid_to; valid_to NULL while the span still holds
-- on the as-of day) over which every attribute an audience can test stays the same: what the user
-- was on each day, for audiences' membership history (fct_audience_membership). Spans follow
-- from the dated histories, so a backfill in any order gives the same spans:
-- - user_state and last_active_date from the state spans (int_user_state_spans), cut at the as-of
--   day; last_active_date is the active day the span's activity segment starts with (NULL before
--   the first);
-- - rfm_segment, value_tier, orders and net_spend from the latest complete week's snapshot
--   (fct_rfm_weekly on a Sunday) on or before the day, `no_orders` / `none` / 0 before the user's
--   first Sunday. The as-of day's own snapshot of a week still running is left out, so that a
--   day's attributes never change when the next day is loaded (dim_users has the as-of values);
-- - latest_nps_score and open_tickets from the feedback spans (int_user_feedback_spans): the latest
--   NPS answer on or before the day and the tickets open at its end;
-- - channel (first touch) and its type and group, platform, region and registered_date, which do
--   not change.
with users as (

    select * from {{ ref('int_users_attributed') }}

),

channels as (

    select * from {{ ref('dim_channels') }}

),

state_spans as (

    select * from {{ ref('int_user_state_spans') }}

),

activity as (

    select * from {{ ref('int_user_activity_daily') }}

),

rfm_weekly as (

    select * from {{ ref('fct_rfm_weekly') }}

),

feedback_spans as (

    select * from {{ ref('int_user_feedback_spans') }}

),

as_of as (

    {{ as_of_date() }}

),

states as (

    select
        state_spans.user_id,
        state_spans.user_state,
        cast(state_spans.valid_from as date) as valid_from,
        activity.activity_date as last_active_date,
        case when state_spans.valid_to < as_of.as_of_date then cast(state_spans.valid_to as date) end as valid_to
    from state_spans
    cross join as_of
    left join activity
        on state_spans.user_id = activity.user_id and state_spans.segment_start = activity.activity_date
    where state_spans.valid_from <= as_of.as_of_date

),

complete_weeks as (

    select
        user_id,
        snapshot_date,
        rfm_segment,
        value_tier,
        orders,
        net_spend
    from rfm_weekly
    where snapshot_date = cast({{ dbt.dateadd('day', 6, dbt.date_trunc('week', 'snapshot_date')) }} as date)

),

-- consecutive weeks with the same values are one interval
week_islands as (

    select
        *,
        row_number() over (partition by user_id order by snapshot_date)
        - row_number() over (
            partition by user_id, rfm_segment, value_tier, orders, net_spend order by snapshot_date
        ) as island
    from complete_weeks

),

rfm_starts as (

    select
        user_id,
        registered_date as valid_from,
        0 as priority,
        'no_orders' as rfm_segment,
        'none' as value_tier,
        cast(0 as bigint) as orders,
        cast(0 as decimal(18, 2)) as net_spend
    from users
    union all
    select
        user_id,
        min(snapshot_date) as valid_from,
        1 as priority,
        rfm_segment,
        value_tier,
        orders,
        net_spend
    from week_islands
    group by user_id, island, rfm_segment, value_tier, orders, net_spend

),

rfm_intervals as (

    select
        *,
        cast({{ dbt.dateadd('day', -1, 'lead(valid_from) over (partition by user_id order by valid_from, priority)') }} as date)
            as valid_to
    from rfm_starts

),

pieces as (

    select
        states.user_id,
        states.user_state,
        states.last_active_date,
        rfm_intervals.rfm_segment,
        rfm_intervals.value_tier,
        rfm_intervals.orders,
        rfm_intervals.net_spend,
        greatest(states.valid_from, rfm_intervals.valid_from) as valid_from,
        {{ earlier_end('states.valid_to', 'rfm_intervals.valid_to') }} as valid_to
    from states
    cross join as_of
    inner join rfm_intervals
        on
            states.user_id = rfm_intervals.user_id
            and rfm_intervals.valid_from <= coalesce(states.valid_to, as_of.as_of_date)
            and states.valid_from <= coalesce(rfm_intervals.valid_to, as_of.as_of_date)
    where rfm_intervals.valid_to is null or rfm_intervals.valid_to >= rfm_intervals.valid_from

),

with_feedback as (

    select
        pieces.user_id,
        pieces.user_state,
        pieces.last_active_date,
        pieces.rfm_segment,
        pieces.value_tier,
        pieces.orders,
        pieces.net_spend,
        feedback_spans.latest_nps_score,
        feedback_spans.open_tickets,
        greatest(pieces.valid_from, feedback_spans.valid_from) as valid_from,
        {{ earlier_end('pieces.valid_to', 'feedback_spans.valid_to') }} as valid_to
    from pieces
    cross join as_of
    inner join feedback_spans
        on
            pieces.user_id = feedback_spans.user_id
            and feedback_spans.valid_from <= coalesce(pieces.valid_to, as_of.as_of_date)
            and pieces.valid_from <= coalesce(feedback_spans.valid_to, as_of.as_of_date)

),

final as (

    select
        with_feedback.user_id,
        with_feedback.valid_from,
        with_feedback.valid_to,
        users.first_touch_channel as channel,
        channels.channel_type,
        channels.channel_group,
        users.platform,
        users.region,
        users.registered_date,
        with_feedback.user_state,
        with_feedback.last_active_date,
        with_feedback.rfm_segment,
        with_feedback.value_tier,
        with_feedback.orders,
        with_feedback.net_spend,
        with_feedback.latest_nps_score,
        with_feedback.open_tickets
    from with_feedback
    inner join users on with_feedback.user_id = users.user_id
    left join channels on users.first_touch_channel = channels.channel

)

select * from final
