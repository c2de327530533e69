-- Grain: reporting day x user state (new, active, dormant, churned, resurrected): how many real
-- users were in each state that day. Every state has a row every day, zero included, so the five
-- rows of a day add up to the users registered by then.
with user_states as (

    select * from {{ ref('int_user_states_daily') }}

),

states as (

    select unnest(['new', 'active', 'dormant', 'churned', 'resurrected']) as user_state

),

days as (

    select distinct date_day from user_states

),

counts as (

    select
        date_day,
        user_state,
        count(*) as users
    from user_states
    group by date_day, user_state

),

final as (

    select
        days.date_day,
        states.user_state,
        coalesce(counts.users, 0) as users
    from days
    cross join states
    left join counts on days.date_day = counts.date_day and states.user_state = counts.user_state

)

select * from final
