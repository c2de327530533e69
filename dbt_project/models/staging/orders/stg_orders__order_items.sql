-- One row per order line (order_id, line_number); a re-delivered line is kept once.
with source as (

    select * from {{ source('orders', 'order_items') }}

),

ranked as (

    select
        *,
        row_number() over (partition by order_id, line_number order by _dt desc, _file desc, _line desc) as copy_rank
    from source

),

final as (

    select
        order_id,
        line_number,
        sku,
        category,
        quantity,
        unit_price,
        cast(quantity * unit_price as decimal(18, 2)) as line_amount
    from ranked
    where copy_rank = 1

)

select * from final
