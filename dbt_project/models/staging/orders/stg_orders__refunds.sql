-- One row per refund, dated by the reporting day it was made, money in the reporting currency.
with source as (

    select * from {{ source('orders', 'refunds') }}

),

fx as (

    select * from {{ ref('stg_mappings__fx_rates') }}

),

ranked as (

    select
        *,
        row_number() over (partition by refund_id order by _dt desc, _file desc, _line desc) as copy_rank
    from source

),

final as (

    select
        ranked.refund_id,
        ranked.order_id,
        ranked.reason as refund_reason,
        {{ to_reporting_currency('ranked.amount') }} as amount,
        {{ to_reporting_currency('ranked.paid_amount') }} as paid_amount,
        {{ to_reporting_currency('ranked.fee_refund_amount') }} as fee_refund_amount,
        {{ reporting_date('ranked.refunded_at') }} as refunded_date,
        ranked.refunded_at
    from ranked
    left join fx on {{ fx_rate_in_force('ranked.currency', reporting_date('ranked.refunded_at')) }}
    where ranked.copy_rank = 1

)

select * from final
