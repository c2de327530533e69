-- Grain: merchant x month (month_start), for every month a merchant had a paid order and the
-- month after its last one (where it shows as churned). Active = at least one paid order; new =
-- the merchant's first active month; churned = active the month before, not this month.
-- gmv_rank orders the month's active merchants by GMV paid (gmv_paid) with merchant_id as tie-break;
-- top_10_gmv_share is the month's GMV share of its ten first-ranked merchants.
with orders as (

    select * from {{ ref('fct_orders') }}

),

as_of as (

    {{ as_of_date() }}

),

active_months as (

    select
        merchant_id,
        cast({{ dbt.date_trunc('month', 'placed_date') }} as date) as month_start,
        count(*) as orders,
        sum(gmv) as gmv_paid,
        sum(commission) as commission
    from orders
    where is_paid and not is_cancelled
    group by merchant_id, cast({{ dbt.date_trunc('month', 'placed_date') }} as date)

),

flagged as (

    select
        *,
        lag(month_start) over (partition by merchant_id order by month_start) as previous_active_month,
        lead(month_start) over (partition by merchant_id order by month_start) as next_active_month
    from active_months

),

churned_months as (

    select
        flagged.merchant_id,
        cast({{ dbt.dateadd('month', 1, 'flagged.month_start') }} as date) as month_start
    from flagged
    cross join as_of
    where
        (
            flagged.next_active_month is null
            or flagged.next_active_month > {{ dbt.dateadd('month', 1, 'flagged.month_start') }}
        )
        and {{ dbt.dateadd('month', 1, 'flagged.month_start') }} <= as_of.as_of_date

),

merchant_months as (

    select
        merchant_id,
        month_start,
        orders,
        gmv_paid,
        commission,
        true as is_active,
        previous_active_month is null as is_new,
        false as is_churned
    from flagged
    union all
    select
        merchant_id,
        month_start,
        0 as orders,
        0 as gmv_paid,
        0 as commission,
        false as is_active,
        false as is_new,
        true as is_churned
    from churned_months

),

ranked as (

    select
        *,
        case
            when
                is_active
                then cast(row_number() over (partition by month_start, is_active order by gmv_paid desc, merchant_id asc) as bigint)
        end as gmv_rank
    from merchant_months

),

final as (

    select
        merchant_id,
        gmv_rank,
        orders,
        cast(gmv_paid as decimal(18, 2)) as gmv_paid,
        cast(commission as decimal(18, 2)) as commission,
        cast(sum(case when gmv_rank <= 10 then gmv_paid else 0 end) over (partition by month_start) as double)
        / nullif(sum(gmv_paid) over (partition by month_start), 0) as top_10_gmv_share,
        is_active,
        is_new,
        is_churned,
        month_start
    from ranked

)

select * from final
