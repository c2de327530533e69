-- Non-media acquisition costs, one row per cost line (partner fees, offline promotion, new-user
-- coupons ...). A line re-sent in a later delivery replaces the earlier one: the latest delivery
-- wins. Amounts are converted to the reporting currency at the rate in force on cost_date.
with source as (

    select * from {{ source('channels', 'acquisition_costs') }}

),

fx as (

    select * from {{ ref('stg_mappings__fx_rates') }}

),

ranked as (

    select
        *,
        row_number() over (partition by cost_id order by _dt desc, _file desc, _line desc) as version_rank
    from source

),

final as (

    select
        ranked.cost_id,
        ranked.cost_type,
        ranked.channel,
        ranked.currency as source_currency,
        ranked.amount as amount_source_currency,
        {{ to_reporting_currency('ranked.amount') }} as amount,
        ranked.cost_date as date_day,
        ranked._dt as delivered_date
    from ranked
    left join fx on {{ fx_rate_in_force('ranked.currency', 'ranked.cost_date') }}
    where ranked.version_rank = 1

)

select * from final
