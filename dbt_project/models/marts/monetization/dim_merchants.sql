-- One row per merchant (or creator selling on the platform), with its first and last paid order
-- and lifetime figures. A shop that sells on its own account (orders without a merchant) is the
-- merchant `self`.
with merchants as (

    select * from {{ ref('stg_reference__merchants') }}

),

orders as (

    select * from {{ ref('fct_orders') }}

),

merchant_orders as (

    select
        merchant_id,
        count(*) as orders,
        sum(gmv) as gmv,
        sum(commission) as commission,
        min(placed_date) as first_order_date,
        max(placed_date) as last_order_date
    from orders
    where is_paid and not is_cancelled
    group by merchant_id

),

known as (

    select
        merchant_id,
        merchant_name,
        category,
        commission_rate,
        is_creator,
        joined_date
    from merchants
    union all
    select
        'self' as merchant_id,
        'The shop itself (single seller)' as merchant_name,
        'all' as category,
        cast(0 as decimal(6, 4)) as commission_rate,
        false as is_creator,
        cast(null as date) as joined_date
    where exists (
        select 1 from orders
        where orders.merchant_id = 'self'
    )

),

final as (

    select
        merchants.merchant_id,
        merchants.merchant_name,
        merchants.category,
        merchants.commission_rate,
        coalesce(merchant_orders.orders, 0) as lifetime_orders,
        cast(coalesce(merchant_orders.gmv, 0) as decimal(18, 2)) as lifetime_gmv,
        cast(coalesce(merchant_orders.commission, 0) as decimal(18, 2)) as lifetime_commission,
        merchants.is_creator,
        merchants.joined_date,
        merchant_orders.first_order_date,
        merchant_orders.last_order_date
    from known as merchants
    left join merchant_orders on merchants.merchant_id = merchant_orders.merchant_id

)

select * from final
