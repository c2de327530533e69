-- One row per real user (test and internal accounts dropped, including those flagged later by
-- a profile update), with first- and last-touch attribution.
--
-- Who the users are, and when they arrived, in order of precedence: a registration record; else
-- (an export without a registration feed) their first `identify` call, or the first event that
-- names them; else their first order. `first_seen_in` says which.
--
-- Where they came from, in the order of var `attribution_precedence` (default: visits, then
-- registration): `visits` are the anonymous (not logged-in) UTM-tagged events of the user's device
-- before the user arrived and within `attribution_window_days`: the visits before the account
-- existed, whose utm_source is a catalogued channel (first
-- and last); `registration` is the registration record's own first- and last-touch fields, when
-- they name a catalogued channel. Users with neither belong to the explicit `direct` (direct /
-- unattributed) channel.
{{ config(materialized='table') }}
with registrations as (

    select * from {{ ref('stg_users__registrations') }}

),

profile_updates as (

    select * from {{ ref('stg_users__profile_updates') }}

),

-- the events are read twice, each time for what that step needs: one CTE read by both would be
-- materialized whole (every event of the history, seven columns: at 10 M events a day, a third
-- of the model's time and 9 GiB of memory) before either filter applies
logged_in_events as (

    select
        user_id,
        device_id,
        platform,
        event_type,
        event_at,
        event_id
    from {{ ref('stg_events__events') }}
    where user_id is not null

),

anonymous_events as (

    select
        device_id,
        utm_source,
        utm_campaign,
        event_at,
        event_id
    from {{ ref('stg_events__events') }}
    where user_id is null

),

orders as (

    select * from {{ ref('stg_orders__orders') }}

),

channels as (

    select * from {{ ref('stg_channels__channels') }}

),

flagged_later as (

    select distinct user_id
    from profile_updates
    where is_test

),

-- the sightings of users without a registration record only: ranking every logged-in event of
-- the history by user would cost the history, for the few users (none, with a registration feed)
-- it is for
event_sightings as (

    select
        events.user_id,
        events.device_id,
        events.platform,
        events.event_at,
        row_number() over (
            partition by events.user_id
            order by case when events.event_type = 'identify' then 0 else 1 end, events.event_at, events.event_id
        ) as sighting
    from logged_in_events as events
    left join registrations on events.user_id = registrations.user_id
    where registrations.user_id is null

),

order_sightings as (

    select
        orders.user_id,
        orders.placed_at,
        row_number() over (partition by orders.user_id order by orders.placed_at, orders.order_id) as sighting
    from orders
    left join registrations on orders.user_id = registrations.user_id
    where registrations.user_id is null

),

arrivals as (

    select
        user_id,
        device_id,
        platform,
        region,
        first_touch_source,
        first_touch_campaign,
        last_touch_source,
        last_touch_campaign,
        is_test,
        registered_at,
        'registration' as first_seen_in
    from registrations
    union all
    select
        event_sightings.user_id,
        event_sightings.device_id,
        coalesce(event_sightings.platform, 'unknown') as platform,
        null as region,
        null as first_touch_source,
        null as first_touch_campaign,
        null as last_touch_source,
        null as last_touch_campaign,
        false as is_test,
        event_sightings.event_at as registered_at,
        'events' as first_seen_in
    from event_sightings
    left join registrations on event_sightings.user_id = registrations.user_id
    where event_sightings.sighting = 1 and registrations.user_id is null
    union all
    select
        order_sightings.user_id,
        order_sightings.user_id as device_id,  -- the contract's fallback: the user is the device
        'unknown' as platform,
        null as region,
        null as first_touch_source,
        null as first_touch_campaign,
        null as last_touch_source,
        null as last_touch_campaign,
        false as is_test,
        order_sightings.placed_at as registered_at,
        'orders' as first_seen_in
    from order_sightings
    left join registrations on order_sightings.user_id = registrations.user_id
    left join event_sightings on order_sightings.user_id = event_sightings.user_id
    where order_sightings.sighting = 1 and registrations.user_id is null and event_sightings.user_id is null

),

real_users as (

    select
        arrivals.*,
        {{ reporting_date('arrivals.registered_at') }} as registered_date
    from arrivals
    left join flagged_later on arrivals.user_id = flagged_later.user_id
    where not arrivals.is_test and flagged_later.user_id is null

),

touches as (

    select
        real_users.user_id,
        events.utm_source as channel,
        coalesce(events.utm_campaign, 'none') as campaign_id,
        events.event_at as touched_at,
        row_number() over (
            partition by real_users.user_id order by events.event_at asc, events.event_id asc
        ) as touch_from_first,
        row_number() over (
            partition by real_users.user_id order by events.event_at desc, events.event_id desc
        ) as touch_from_last
    from real_users
    -- a touch is a visit before the account existed: not logged in
    inner join anonymous_events as events on real_users.device_id = events.device_id
    inner join channels on events.utm_source = channels.channel
    where
        events.event_at <= real_users.registered_at
        and events.event_at >= {{ dbt.dateadd('day', -var('attribution_window_days'), 'real_users.registered_at') }}

),

touch_counts as (

    select
        user_id,
        count(*) as touches
    from touches
    group by user_id

),

registration_touch as (

    select
        real_users.user_id,
        first_channel.channel as first_channel,
        coalesce(real_users.first_touch_campaign, 'none') as first_campaign_id,
        last_channel.channel as last_channel,
        coalesce(real_users.last_touch_campaign, 'none') as last_campaign_id
    from real_users
    left join channels as first_channel on real_users.first_touch_source = first_channel.channel
    left join channels as last_channel on real_users.last_touch_source = last_channel.channel

),

{%- set sources = {
    'visits': {'first': 'first_touch.channel', 'first_campaign': 'first_touch.campaign_id',
               'last': 'last_touch.channel', 'last_campaign': 'last_touch.campaign_id'},
    'registration': {'first': 'registration_touch.first_channel', 'first_campaign': 'registration_touch.first_campaign_id',
                     'last': 'registration_touch.last_channel', 'last_campaign': 'registration_touch.last_campaign_id'},
} %}
{%- set order = var('attribution_precedence') %}

final as (

    select
        real_users.user_id,
        real_users.device_id,
        coalesce(
            {%- for s in order %} {{ sources[s]['first'] }},{% endfor %} 'direct'
        ) as first_touch_channel,
        case
            {%- for s in order %}
                when {{ sources[s]['first'] }} is not null then {{ sources[s]['first_campaign'] }}
            {%- endfor %}
            else 'none'
        end as first_touch_campaign_id,
        coalesce(
            {%- for s in order %} {{ sources[s]['last'] }},{% endfor %} 'direct'
        ) as last_touch_channel,
        case
            {%- for s in order %}
                when {{ sources[s]['last'] }} is not null then {{ sources[s]['last_campaign'] }}
            {%- endfor %}
            else 'none'
        end as last_touch_campaign_id,
        real_users.platform,
        real_users.region,
        real_users.first_seen_in,
        case
            {%- for s in order %}
                when {{ sources[s]['first'] }} is not null then '{{ s }}'
            {%- endfor %}
            else 'none'
        end as attributed_by,
        coalesce(touch_counts.touches, 0) as touches,
        first_touch.user_id is not null as has_touch,
        real_users.registered_date,
        first_touch.touched_at as first_touch_at,
        last_touch.touched_at as last_touch_at,
        real_users.registered_at
    from real_users
    left join touches as first_touch
        on real_users.user_id = first_touch.user_id and first_touch.touch_from_first = 1
    left join touches as last_touch
        on real_users.user_id = last_touch.user_id and last_touch.touch_from_last = 1
    left join touch_counts on real_users.user_id = touch_counts.user_id
    left join registration_touch on real_users.user_id = registration_touch.user_id

)

select * from final
