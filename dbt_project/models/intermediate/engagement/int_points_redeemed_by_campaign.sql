-- One row per redemption day, user and campaign: the points a user redeemed that day that had been
-- earned in that campaign (campaign_id NULL: earned outside any campaign). Points are used oldest
-- first, by redemption or by expiry (as in fct_points_daily), so a redemption of P points on day t
-- takes the slice [R + E, R + E + P) of the user's earned points in earning order, where R is what
-- the user redeemed before and E what had expired by the day before (`points_expiry_days` after
-- being earned, unless redeemed first); each earned lot's share of that slice is that campaign's.
{{ config(materialized='table') }}
with events as (

    select * from {{ ref('stg_events__events') }}

),

users as (

    select * from {{ ref('int_users_attributed') }}

),

earned as (

    select
        events.user_id,
        events.campaign_id,
        events.event_date,
        events.points,
        sum(events.points) over (
            partition by events.user_id order by events.event_date, events.event_at, events.event_id
            rows between unbounded preceding and current row
        ) as earned_through
    from events
    inner join users on events.user_id = users.user_id
    where {{ has_role('points_earned', 'events.event_type') }} and events.points > 0

),

redeemed as (

    select
        events.user_id,
        events.event_date,
        sum(events.points) as points
    from events
    inner join users on events.user_id = users.user_id
    where {{ has_role('points_redeemed', 'events.event_type') }} and events.points > 0
    group by events.user_id, events.event_date

),

redemptions as (

    select
        user_id,
        event_date,
        points,
        coalesce(sum(points) over (
            partition by user_id order by event_date rows between unbounded preceding and 1 preceding
        ), 0) as redeemed_before,
        sum(points) over (
            partition by user_id order by event_date rows between unbounded preceding and current row
        ) as redeemed_through
    from redeemed

),

-- what had expired by the day before each redemption: the running maximum of (earned at least
-- points_expiry_days before an expiry day - redeemed by then), taken over the expiry days before it
expiry_days as (

    select distinct
        user_id,
        cast({{ dbt.dateadd('day', var('points_expiry_days'), 'event_date') }} as date) as expiry_date
    from earned

),

expiry_levels as (

    select
        expiry_days.user_id,
        expiry_days.expiry_date,
        greatest(
            max(earned.earned_through) - coalesce(max(redemptions.redeemed_through), 0), 0
        ) as expired_by
    from expiry_days
    inner join earned
        on
            expiry_days.user_id = earned.user_id
            and {{ dbt.dateadd('day', -var('points_expiry_days'), 'expiry_days.expiry_date') }} >= earned.event_date
    left join redemptions
        on expiry_days.user_id = redemptions.user_id and expiry_days.expiry_date >= redemptions.event_date
    group by expiry_days.user_id, expiry_days.expiry_date

),

slices as (

    select
        redemptions.user_id,
        redemptions.event_date,
        redemptions.redeemed_before + coalesce(max(expiry_levels.expired_by), 0) as slice_start,
        redemptions.redeemed_before + coalesce(max(expiry_levels.expired_by), 0) + redemptions.points as slice_end
    from redemptions
    left join expiry_levels
        on redemptions.user_id = expiry_levels.user_id and redemptions.event_date > expiry_levels.expiry_date
    group by redemptions.user_id, redemptions.event_date, redemptions.redeemed_before, redemptions.points

),

final as (

    select
        slices.user_id,
        earned.campaign_id,
        slices.event_date as date_day,
        sum(
            least(slices.slice_end, earned.earned_through)
            - greatest(slices.slice_start, earned.earned_through - earned.points)
        ) as points
    from slices
    inner join earned
        on
            slices.user_id = earned.user_id
            and slices.slice_start < earned.earned_through
            and slices.slice_end > earned.earned_through - earned.points
    group by slices.user_id, earned.campaign_id, slices.event_date

)

select * from final
