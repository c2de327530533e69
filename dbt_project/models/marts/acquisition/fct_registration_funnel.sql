-- Grain: cohort date (a device's first visit) x channel (that visit's utm_source; `direct` when
-- untagged or not catalogued) x platform (of the user the device registered, else `unknown`).
-- Steps: visit -> registration -> activation -> first paid order. A step counts only when it
-- happens at or after the previous one and within `funnel_window_days` of the first visit.
-- Activation (var `activation_active_days` active days within `activation_window_days` of
-- registration, or a first order in that window) is dated by the day the condition is met.
with events as (

    select * from {{ ref('stg_events__events') }}

),

registrations as (

    select * from {{ ref('stg_users__registrations') }}

),

users as (

    select * from {{ ref('int_users_attributed') }}

),

activity as (

    select * from {{ ref('int_user_activity_daily') }}

),

orders as (

    select * from {{ ref('fct_orders') }}

),

channels as (

    select * from {{ ref('stg_channels__channels') }}

),

test_devices as (

    select registrations.device_id
    from registrations
    left join users on registrations.user_id = users.user_id
    where users.user_id is null

),

visits as (

    select
        events.device_id,
        coalesce(channels.channel, 'direct') as channel,
        events.event_date as visit_date,
        events.event_at as visited_at,
        row_number()
            over (partition by events.device_id order by events.event_at asc, events.event_id asc)
            as visit_rank
    from events
    left join channels on events.utm_source = channels.channel
    left join test_devices on events.device_id = test_devices.device_id
    where {{ has_role('visit', 'events.event_type') }} and test_devices.device_id is null

),

first_visits as (

    select * from visits
    where visit_rank = 1

),

active_days as (

    select
        users.user_id,
        activity.activity_date,
        row_number() over (partition by users.user_id order by activity.activity_date) as active_day_number
    from users
    inner join activity on users.user_id = activity.user_id
    where
        activity.activity_date >= users.registered_date
        and activity.activity_date
        < {{ dbt.dateadd('day', var('activation_window_days'), 'users.registered_date') }}

),

first_orders as (

    select
        user_id,
        paid_date as first_order_date,
        paid_at as first_ordered_at
    from orders
    where is_first_order

),

steps as (

    select
        first_visits.device_id,
        first_visits.channel,
        coalesce(users.platform, 'unknown') as platform,
        first_visits.visit_date,
        first_visits.visited_at,
        users.registered_at,
        users.registered_date,
        least(
            nth_active_day.activity_date,
            case
                when
                    first_orders.first_order_date
                    < {{ dbt.dateadd('day', var('activation_window_days'), 'users.registered_date') }}
                    then first_orders.first_order_date
            end
        ) as activated_date,
        first_orders.first_order_date
    from first_visits
    left join users on first_visits.device_id = users.device_id
    left join active_days as nth_active_day
        on
            users.user_id = nth_active_day.user_id
            and nth_active_day.active_day_number = {{ var('activation_active_days') }}
    left join first_orders on users.user_id = first_orders.user_id

),

reached as (

    select
        device_id,
        channel,
        platform,
        visit_date,
        registered_at >= visited_at
        and registered_date <= {{ dbt.dateadd('day', var('funnel_window_days'), 'visit_date') }} as is_registered,
        {{ dbt.datediff('visited_at', 'registered_at', 'second') }} / 3600e0 as hours_to_register,
        activated_date,
        first_order_date
    from steps

),

reached_all as (

    select
        device_id,
        channel,
        platform,
        visit_date,
        coalesce(is_registered, false) as is_registered,
        hours_to_register,
        coalesce(
            is_registered
            and activated_date <= {{ dbt.dateadd('day', var('funnel_window_days'), 'visit_date') }},
            false
        ) as is_activated,
        coalesce(
            is_registered
            and activated_date <= {{ dbt.dateadd('day', var('funnel_window_days'), 'visit_date') }}
            and first_order_date >= activated_date
            and first_order_date <= {{ dbt.dateadd('day', var('funnel_window_days'), 'visit_date') }},
            false
        ) as is_first_ordered,
        {{ dbt.datediff('visit_date', 'activated_date', 'day') }}             as days_to_activate,
        {{ dbt.datediff('visit_date', 'first_order_date', 'day') }}             as days_to_first_order
    from reached

),

as_of as (

    {{ as_of_date() }}

),

final as (

    select
        reached_all.visit_date as cohort_date,
        reached_all.channel,
        reached_all.platform,
        count(*) as visitors,
        count(case when reached_all.is_registered then 1 end) as registered,
        count(case when reached_all.is_activated then 1 end) as activated,
        count(case when reached_all.is_first_ordered then 1 end) as first_ordered,
        cast(count(case when reached_all.is_registered then 1 end) as double) / nullif(count(*), 0)
            as registration_rate,
        cast(
            count(case when reached_all.is_activated then 1 end)
            / nullif(count(case when reached_all.is_registered then 1 end), 0) as double
        ) as activation_rate,
        cast(
            count(case when reached_all.is_first_ordered then 1 end)
            / nullif(count(case when reached_all.is_activated then 1 end), 0) as double
        ) as first_order_rate,
        cast(count(case when reached_all.is_activated then 1 end) as double) / nullif(count(*), 0)
            as overall_activation_rate,
        cast(count(case when reached_all.is_first_ordered then 1 end) as double) / nullif(count(*), 0)
            as overall_conversion_rate,
        median(case when reached_all.is_registered then reached_all.hours_to_register end) as median_hours_to_register,
        median(case when reached_all.is_activated then reached_all.days_to_activate end) as median_days_to_activate,
        median(case when reached_all.is_first_ordered then reached_all.days_to_first_order end)
            as median_days_to_first_order,
        {{ dbt.dateadd('day', var('funnel_window_days'), 'reached_all.visit_date') }} <= max(as_of.as_of_date)
            as is_window_complete
    from reached_all
    cross join as_of
    group by reached_all.visit_date, reached_all.channel, reached_all.platform

)

select * from final
