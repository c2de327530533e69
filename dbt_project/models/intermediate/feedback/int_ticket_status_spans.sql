-- A real user's support ticket as spans of days over which it stays open or closed: from the
-- reporting day of a change to the day before the ticket's next day with a change (a day's last
-- change is the status at its end). `valid_to` is NULL while the span still holds. A ticket is open
-- (in the backlog) on a day whose span has status created, first_response or reopened.
with changes as (

    select * from {{ ref('stg_feedback__ticket_changes') }}

),

users as (

    select * from {{ ref('int_users_attributed') }}

),

day_last as (

    select
        changes.ticket_id,
        changes.user_id,
        changes.category,
        changes.status,
        changes.changed_date,
        row_number() over (
            partition by changes.ticket_id, changes.changed_date order by changes.changed_at desc
        ) as day_rank
    from changes
    inner join users on changes.user_id = users.user_id

),

final as (

    select
        ticket_id,
        user_id,
        category,
        status,
        status != 'resolved' as is_open,
        changed_date as valid_from,
        cast({{ dbt.dateadd('day', -1, 'lead(changed_date) over (partition by ticket_id order by changed_date)') }} as date)
            as valid_to
    from day_last
    where day_rank = 1

)

select * from final
