-- Grain: reporting day. The points ledger of real users: points earned, redeemed and expired,
-- the outstanding balance (cumulative earned - redeemed - expired) and its liability in money
-- (var `points_unit_cost`). Points expire `points_expiry_days` after the day they were earned
-- unless redeemed first; redemptions use the oldest points first. So by day t a user has lost
-- to expiry max over s <= t of (earned up to s - expiry days - redeemed up to s), never less
-- than 0: that running maximum only moves on a redemption day or an expiry day.
with events as (

    select * from {{ ref('stg_events__events') }}

),

users as (

    select * from {{ ref('int_users_attributed') }}

),

as_of as (

    {{ as_of_date() }}

),

ledger as (

    select
        events.user_id,
        events.event_date as date_day,
        sum(case when {{ has_role('points_earned', 'events.event_type') }} then events.points else 0 end) as earned,
        sum(case when {{ has_role('points_redeemed', 'events.event_type') }} then events.points else 0 end) as redeemed
    from events
    inner join users on events.user_id = users.user_id
    where ({{ has_role('points_earned', 'events.event_type') }} or {{ has_role('points_redeemed', 'events.event_type') }}) and events.points > 0
    group by events.user_id, events.event_date

),

checkpoints as (

    select
        user_id,
        date_day
    from ledger
    where redeemed > 0
    union
    select
        user_id,
        cast({{ dbt.dateadd('day', var('points_expiry_days'), 'date_day') }} as date) as date_day
    from ledger
    where earned > 0

),

balances as (

    select
        checkpoints.user_id,
        checkpoints.date_day,
        sum(
            case
                when ledger.date_day <= {{ dbt.dateadd('day', -var('points_expiry_days'), 'checkpoints.date_day') }}
                    then ledger.earned
                else 0
            end
        ) as earned_to_expiry_day,
        sum(ledger.redeemed) as redeemed_to_date
    from checkpoints
    inner join ledger on checkpoints.user_id = ledger.user_id and checkpoints.date_day >= ledger.date_day
    group by checkpoints.user_id, checkpoints.date_day

),

expired_running as (

    select
        user_id,
        date_day,
        max(greatest(earned_to_expiry_day - redeemed_to_date, 0)) over (
            partition by user_id order by date_day rows between unbounded preceding and current row
        ) as expired_to_date
    from balances

),

expired_steps as (

    select
        date_day,
        expired_to_date - coalesce(lag(expired_to_date) over (partition by user_id order by date_day), 0) as expired
    from expired_running

),

expired as (

    select
        date_day,
        sum(expired) as expired
    from expired_steps
    where date_day <= (select as_of.as_of_date from as_of)
    group by date_day

),

daily as (

    select
        date_day,
        sum(earned) as earned,
        sum(redeemed) as redeemed
    from ledger
    group by date_day

),

days as (

    select {{ date_series('min(ledger.date_day)', 'max(as_of.as_of_date)', '1 day') }} as date_day
    from ledger
    cross join as_of

),

joined as (

    select
        days.date_day,
        cast(coalesce(daily.earned, 0) as bigint) as points_earned,
        cast(coalesce(daily.redeemed, 0) as bigint) as points_redeemed,
        cast(coalesce(expired.expired, 0) as bigint) as points_expired
    from days
    left join daily on days.date_day = daily.date_day
    left join expired on days.date_day = expired.date_day

),

final as (

    select
        date_day,
        points_earned,
        points_redeemed,
        points_expired,
        cast(sum(points_earned - points_redeemed - points_expired) over (order by date_day) as bigint)
            as points_outstanding,
        cast(
            sum(points_earned - points_redeemed - points_expired) over (order by date_day)
            * {{ var('points_unit_cost') }}
            as decimal(18, 2)
        ) as liability
    from joined

)

select * from final
