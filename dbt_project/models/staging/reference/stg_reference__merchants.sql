-- One row per merchant: the full snapshot of the latest delivery wins.
with source as (

    select * from {{ source('reference', 'merchants') }}

),

ranked as (

    select
        *,
        row_number() over (partition by merchant_id order by _dt desc, _file desc, _line desc) as version_rank
    from source

),

final as (

    select
        merchant_id,
        merchant_name,
        category,
        commission_rate,
        is_creator,
        joined_date
    from ranked
    where version_rank = 1

)

select * from final
