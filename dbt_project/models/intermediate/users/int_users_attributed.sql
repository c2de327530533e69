-- One row per real user (test and internal accounts dropped, including those flagged later by
-- a profile update), with first- and last-touch attribution: the first and the last UTM-tagged
-- visit of the registering device before registration and within `attribution_window_days`.
-- Only visits whose utm_source is a catalogued channel count as touches. Users without a touch
-- belong to the explicit `direct` (direct / unattributed) channel.
{{ config(materialized='table') }}
with registrations as (

    select * from {{ ref('stg_users__registrations') }}

),

profile_updates as (

    select * from {{ ref('stg_users__profile_updates') }}

),

events as (

    select * from {{ ref('stg_events__events') }}

),

channels as (

    select * from {{ ref('stg_channels__channels') }}

),

flagged_later as (

    select distinct user_id
    from profile_updates
    where is_test

),

real_users as (

    select registrations.*
    from registrations
    left join flagged_later on registrations.user_id = flagged_later.user_id
    where not registrations.is_test and flagged_later.user_id is null

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
    inner join events on real_users.device_id = events.device_id
    inner join channels on events.utm_source = channels.channel
    where
        events.event_type = 'visit'
        and events.event_at <= real_users.registered_at
        and events.event_at >= {{ dbt.dateadd('day', -var('attribution_window_days'), 'real_users.registered_at') }}

),

touch_counts as (

    select
        user_id,
        count(*) as touches
    from touches
    group by user_id

),

final as (

    select
        real_users.user_id,
        real_users.device_id,
        coalesce(first_touch.channel, 'direct') as first_touch_channel,
        coalesce(first_touch.campaign_id, 'none') as first_touch_campaign_id,
        coalesce(last_touch.channel, 'direct') as last_touch_channel,
        coalesce(last_touch.campaign_id, 'none') as last_touch_campaign_id,
        real_users.platform,
        real_users.region,
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

)

select * from final
