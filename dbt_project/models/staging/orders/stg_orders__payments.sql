-- One row per successful payment, money in the reporting currency.
with source as (

    select * from {{ source('orders', 'payments') }}

),

fx as (

    select * from {{ ref('stg_mappings__fx_rates') }}

),

ranked as (

    select
        *,
        row_number() over (partition by payment_id order by _dt desc, _file desc, _line desc) as copy_rank
    from source

),

final as (

    select
        ranked.payment_id,
        ranked.order_id,
        ranked.user_id,
        ranked.method as payment_method,
        {{ to_reporting_currency('ranked.amount') }} as amount,
        {{ reporting_date('ranked.paid_at') }} as paid_date,
        ranked.paid_at
    from ranked
    left join fx on {{ fx_rate_in_force('ranked.currency', reporting_date('ranked.paid_at')) }}
    where ranked.copy_rank = 1

)

select * from final
