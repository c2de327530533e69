-- One row per merchant billing line (advertising, value-added services). billed_date is already
-- a reporting day and is not shifted. Money in the reporting currency.
with source as (

    select * from {{ source('orders', 'merchant_billing') }}

),

fx as (

    select * from {{ ref('stg_mappings__fx_rates') }}

),

ranked as (

    select
        *,
        row_number() over (partition by billing_id order by _dt desc, _file desc, _line desc) as copy_rank
    from source

),

final as (

    select
        ranked.billing_id,
        ranked.merchant_id,
        ranked.service_type,
        {{ to_reporting_currency('ranked.amount') }} as amount,
        ranked.billed_date
    from ranked
    left join fx on {{ fx_rate_in_force('ranked.currency', 'ranked.billed_date') }}
    where ranked.copy_rank = 1

)

select * from final
