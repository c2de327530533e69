-- Grain: reporting day x user state (new, active, dormant, churned, resurrected): how many real
-- users were in each state that day, from the first registration day to the as-of date. Every
-- state has a row every day, zero included, so the five rows of a day add up to the users
-- registered by then. Counted from the state spans (int_user_state_spans) as a running sum of
-- the users entering a state (on `valid_from`) less those leaving it (the day after `valid_to`),
-- so a day costs its transitions, not its users.
with spans as (

    select * from {{ ref('int_user_state_spans') }}

),

as_of as (

    {{ as_of_date() }}

),

states as (

    select states.user_state
    from (values ('new'), ('active'), ('dormant'), ('churned'), ('resurrected')) as states (user_state)

),

days as (

    select
        {{ date_series('(select min(spans.valid_from) from spans)', 'as_of.as_of_date', '1 day') }} as date_day
    from as_of

),

changes as (

    select
        user_state,
        valid_from as date_day,
        1 as users_change
    from spans
    union all
    select
        user_state,
        {{ dbt.dateadd('day', 1, 'valid_to') }} as date_day,
        -1 as users_change
    from spans
    where valid_to is not null

),

daily_changes as (

    select
        date_day,
        user_state,
        sum(users_change) as users_change
    from changes
    group by date_day, user_state

),

final as (

    select
        days.date_day,
        states.user_state,
        cast(sum(coalesce(daily_changes.users_change, 0)) over (
            partition by states.user_state order by days.date_day rows between unbounded preceding and current row
        ) as bigint) as users
    from days
    cross join states
    left join daily_changes on days.date_day = daily_changes.date_day and states.user_state = daily_changes.user_state

)

select * from final
