-- One row per support ticket change (ticket, time of the change): its latest delivery, dated by the
-- reporting days of the change and of the ticket's creation. Status after the change: created,
-- first_response, resolved or reopened; `satisfaction` is the user's rating of a resolution.
with source as (

    select * from {{ source('feedback', 'support_tickets') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by ticket_id, changed_at order by _dt desc, _file desc, _line desc
        ) as version_rank
    from source

),

final as (

    select
        ticket_id,
        user_id,
        status,
        category,
        priority,
        contact_channel,
        satisfaction,
        {{ reporting_date('created_at') }} as created_date,
        {{ reporting_date('changed_at') }} as changed_date,
        created_at,
        changed_at
    from ranked
    where version_rank = 1

)

select * from final
