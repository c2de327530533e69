-- One row per order of a real user: its value, discount, refunds (attached to the order whatever
-- the day they were made), net and platform revenue, category, the buyer's acquisition channel,
-- and the order's place in the buyer's history of paid orders. A cancelled order keeps its value
-- in `gmv` but earns no net or platform revenue. `order_sequence_number` counts the buyer's
-- successful orders (paid and not cancelled) by payment time: a paid order cancelled later is no
-- one's first order.
with orders as (

    select * from {{ ref('stg_orders__orders') }}

),

order_items as (

    select * from {{ ref('stg_orders__order_items') }}

),

payments as (

    select * from {{ ref('stg_orders__payments') }}

),

refunds as (

    select * from {{ ref('stg_orders__refunds') }}

),

users as (

    select * from {{ ref('int_users_attributed') }}

),

categories as (

    select
        order_id,
        category,
        row_number() over (partition by order_id order by sum(line_amount) desc, category asc) as category_rank
    from order_items
    group by order_id, category

),

paid as (

    select
        order_id,
        sum(amount) as paid_amount
    from payments
    group by order_id

),

refunded as (

    select
        order_id,
        sum(amount) as refunded_amount,
        sum(fee_refund_amount) as fee_refund_amount,
        min(refunded_date) as first_refunded_date,
        max(refunded_at) as refunded_at
    from refunds
    group by order_id

),

joined as (

    select
        orders.order_id,
        orders.user_id,
        orders.merchant_id,
        coalesce(categories.category, 'unknown') as category,
        users.first_touch_channel as channel,
        orders.campaign_id,
        orders.coupon_id,
        orders.status,
        orders.gmv,
        orders.discount,
        cast(coalesce(paid.paid_amount, 0) as decimal(18, 2)) as paid_amount,
        cast(coalesce(refunded.refunded_amount, 0) as decimal(18, 2)) as refunded_amount,
        orders.commission,
        orders.transaction_fee,
        cast(coalesce(refunded.fee_refund_amount, 0) as decimal(18, 2)) as fee_refund_amount,
        orders.is_paid,
        orders.is_cancelled,
        refunded.order_id is not null as is_refunded,
        case
            when orders.is_paid and not orders.is_cancelled
                then cast(row_number() over (
                    partition by orders.user_id, orders.is_paid and not orders.is_cancelled
                    order by orders.paid_at asc, orders.order_id asc
                ) as bigint)
        end as order_sequence_number,
        orders.placed_date,
        orders.paid_date,
        refunded.first_refunded_date,
        orders.placed_at,
        orders.paid_at,
        refunded.refunded_at
    from orders
    inner join users on orders.user_id = users.user_id
    left join categories on orders.order_id = categories.order_id and categories.category_rank = 1
    left join paid on orders.order_id = paid.order_id
    left join refunded on orders.order_id = refunded.order_id

),

final as (

    select
        order_id,
        user_id,
        merchant_id,
        category,
        channel,
        campaign_id,
        coupon_id,
        status,
        gmv,
        discount,
        paid_amount,
        refunded_amount,
        case
            when is_cancelled then cast(0 as decimal(18, 2))
            else cast(gmv - discount - refunded_amount as decimal(18, 2))
        end as net_revenue,
        commission,
        transaction_fee,
        fee_refund_amount,
        case
            when is_cancelled then cast(0 as decimal(18, 2))
            else cast({{ platform_revenue(
                'commission', 'transaction_fee', '0', '0', '0', 'fee_refund_amount', 'gmv - discount - refunded_amount'
            ) }} as decimal(18, 2))
        end as platform_revenue,
        order_sequence_number,
        is_paid,
        is_cancelled,
        is_refunded,
        coalesce(order_sequence_number = 1, false) as is_first_order,
        placed_date,
        paid_date,
        first_refunded_date,
        placed_at,
        paid_at,
        refunded_at
    from joined

)

select * from final
