-- One row per order: its latest version by updated_at, with the times of each status change.
-- A table, unlike most staging models (views on DuckDB): every status change of an order is a
-- version of it in the raw layer (4.5 M versions of 1.2 M orders after a year at the default
-- scale). As a view, each of its readers in a build (fct_orders, the users' arrivals, the rebuild
-- floors of the incremental marts, three data tests: a dozen scans) deduplicated it again, 3 s a
-- scan at that size.
{{ config(materialized='table') }}
with source as (

    select * from {{ source('orders', 'orders') }}

),

fx as (

    select * from {{ ref('stg_mappings__fx_rates') }}

),

status_times as (

    select
        order_id,
        min(case when status = 'paid' then updated_at end) as paid_at,
        min(case when status = 'cancelled' then updated_at end) as cancelled_at,
        min(case when status = 'refunded' then updated_at end) as refunded_at,
        min(case when status = 'completed' then updated_at end) as completed_at
    from source
    group by order_id

),

ranked as (

    select
        *,
        row_number() over (partition by order_id order by updated_at desc, _dt desc, _line desc) as version_rank
    from source

),

final as (

    select
        ranked.order_id,
        ranked.user_id,
        coalesce(ranked.merchant_id, 'self') as merchant_id,
        ranked.coupon_id,
        ranked.campaign_id,
        ranked.status,
        ranked.currency as source_currency,
        {{ to_reporting_currency('ranked.gmv_amount') }} as gmv,
        {{ to_reporting_currency('ranked.discount_amount') }} as discount,
        {{ to_reporting_currency('coalesce(ranked.commission_amount, 0)') }} as commission,
        {{ to_reporting_currency('coalesce(ranked.fee_amount, 0)') }} as transaction_fee,
        status_times.paid_at is not null as is_paid,
        status_times.cancelled_at is not null as is_cancelled,
        {{ reporting_date('ranked.placed_at') }} as placed_date,
        {{ reporting_date('status_times.paid_at') }} as paid_date,
        ranked.placed_at,
        status_times.paid_at,
        status_times.cancelled_at,
        status_times.refunded_at,
        status_times.completed_at,
        ranked.updated_at
    from ranked
    inner join status_times on ranked.order_id = status_times.order_id
    left join fx on {{ fx_rate_in_force('ranked.currency', reporting_date('ranked.placed_at')) }}
    where ranked.version_rank = 1

)

select * from final
