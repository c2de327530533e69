-- One row per channel from the catalogue: the full snapshot of the latest delivery wins.
with source as (

    select * from {{ source('channels', 'channel_catalog') }}

),

ranked as (

    select
        *,
        row_number() over (partition by channel order by _dt desc, _file desc, _line desc) as version_rank
    from source

),

final as (

    select
        channel,
        channel_name,
        channel_type,
        channel_group,
        cost_model,
        native_timezone,
        is_paid
    from ranked
    where version_rank = 1

)

select * from final
