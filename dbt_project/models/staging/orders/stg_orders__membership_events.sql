-- One row per membership billing event, with the amount normalised to one month (yearly / 12).
with source as (

    select * from {{ source('orders', 'memberships') }}

),

ranked as (

    select
        *,
        row_number() over (partition by billing_event_id order by _dt desc, _file desc, _line desc) as copy_rank
    from source

),

final as (

    select
        billing_event_id,
        user_id,
        event_type,
        plan,
        amount,
        period_months,
        case
            when event_type = 'cancel' then cast(0 as decimal(18, 2))
            else {{ to_decimal('cast(amount as double) / nullif(period_months, 0)', 18, 2) }}
        end as monthly_amount,
        {{ reporting_date('occurred_at') }} as occurred_date,
        occurred_at
    from ranked
    where copy_rank = 1

)

select * from final
