-- One row per published content item (UGC or PGC).
with source as (

    select * from {{ source('reference', 'content_items') }}

),

ranked as (

    select
        *,
        row_number() over (partition by content_id order by _dt desc, _file desc, _line desc) as version_rank
    from source

),

final as (

    select
        content_id,
        creator_id,
        content_type,
        topic,
        title,
        is_removed,
        {{ reporting_date('published_at') }} as published_date,
        published_at
    from ranked
    where version_rank = 1

)

select * from final
