-- One row per event: SDK re-sends share an event_id, and the earliest received copy is kept.
-- event_at is UTC; event_date is the reporting day it happened, whatever partition it arrived in.
with source as (

    select * from {{ source('events', 'events') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by event_id
            order by received_at asc, _dt asc, _file asc, _line asc
        ) as copy_rank
    from source

),

final as (

    select
        event_id,
        user_id,
        device_id,
        event_type,
        properties,
        {{ reporting_date('event_at') }} as event_date,
        {{ reporting_date('received_at') }} as received_date,
        event_at,
        received_at,
        _dt as delivered_date
    from ranked
    where copy_rank = 1

)

select * from final
