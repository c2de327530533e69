-- Grain: reporting day x channel (the buyer's first-touch channel; `none` for merchant billing)
-- x category (the order's; `membership` for membership charges), plus one day-total row per day
-- (channel and category `all`, is_day_total) that carries the day's distinct paying users and
-- the per-user ratios, which cannot be added up from the detail rows.
-- Orders count on the day they were placed (paid, not cancelled), and so do GMV (every order not
-- cancelled: `gmv`, GMV placed) and the value of those paid orders (`gmv_paid`, over which AOV is
-- taken). Paying users count on the day of their successful payment (an order placed at 23:58 and
-- paid at 00:05 makes a payer of the next day). Refunds count on the day they were made; merchant
-- billing on its billed day; membership charges on the day they occurred.
-- net revenue = GMV - discounts - refunds; platform revenue = commission + transaction fees +
-- advertising + value-added services + membership - refunded fees.
-- Incremental: each run rebuilds from the first day whose inputs changed since the last build,
-- at least the trailing `lookback_days` before the newest day it holds, every day since the placement of an order that changed since (a late payment or
-- cancellation), and every day since the registration of an account found to be a test account
-- since (macro reprocess_from).
-- depends_on: {{ ref('stg_users__profile_updates') }}, {{ ref('stg_users__registrations') }}, {{ ref('stg_loader__changes') }}
-- depends_on: {{ ref('stg_orders__orders') }}
{%- set rebuild = {'by': 'reprocess', 'changed_orders': true} %}
{{
    config(
        materialized='incremental',
        pre_hook=delete_from_floor('date_day', rebuild),
        on_schema_change='append_new_columns',
        **incremental_by_day('date_day')
    )
}}
with orders as (

    select * from {{ ref('fct_orders') }}

),

refunds as (

    select * from {{ ref('stg_orders__refunds') }}

),

merchant_billing as (

    select * from {{ ref('stg_orders__merchant_billing') }}

),

merchants as (

    select * from {{ ref('stg_reference__merchants') }}

),

membership_events as (

    select * from {{ ref('stg_orders__membership_events') }}

),

users as (

    select * from {{ ref('int_users_attributed') }}

),

active_users as (

    select * from {{ ref('fct_active_users_daily') }}

),

order_lines as (

    select
        placed_date as date_day,
        channel,
        category,
        user_id,
        case when is_paid and not is_cancelled then order_id end as paid_order_id,
        null as paying_user_id,
        case when not is_cancelled then gmv else 0 end as gmv,
        case when is_paid and not is_cancelled then gmv else 0 end as gmv_paid,
        case when is_cancelled then gmv else 0 end as cancelled_gmv,
        case when is_cancelled then 1 else 0 end as cancelled_orders,
        case when not is_cancelled then discount else 0 end as discount,
        0 as refunds,
        case when not is_cancelled then commission else 0 end as commission,
        case when not is_cancelled then transaction_fee else 0 end as transaction_fee,
        0 as advertising,
        0 as value_added_services,
        0 as membership,
        0 as fee_refunds
    from orders

),

payment_lines as (

    select
        paid_date as date_day,
        channel,
        category,
        user_id,
        null as paid_order_id,
        user_id as paying_user_id,
        0 as gmv,
        0 as gmv_paid,
        0 as cancelled_gmv,
        0 as cancelled_orders,
        0 as discount,
        0 as refunds,
        0 as commission,
        0 as transaction_fee,
        0 as advertising,
        0 as value_added_services,
        0 as membership,
        0 as fee_refunds
    from orders
    where is_paid and not is_cancelled and paid_date is not null

),

refund_lines as (

    select
        refunds.refunded_date as date_day,
        orders.channel,
        orders.category,
        orders.user_id,
        null as paid_order_id,
        null as paying_user_id,
        0 as gmv,
        0 as gmv_paid,
        0 as cancelled_gmv,
        0 as cancelled_orders,
        0 as discount,
        refunds.amount as refunds,
        0 as commission,
        0 as transaction_fee,
        0 as advertising,
        0 as value_added_services,
        0 as membership,
        refunds.fee_refund_amount as fee_refunds
    from refunds
    inner join orders on refunds.order_id = orders.order_id

),

billing_lines as (

    select
        merchant_billing.billed_date as date_day,
        'none' as channel,
        coalesce(merchants.category, 'unknown') as category,
        null as user_id,
        null as paid_order_id,
        null as paying_user_id,
        0 as gmv,
        0 as gmv_paid,
        0 as cancelled_gmv,
        0 as cancelled_orders,
        0 as discount,
        0 as refunds,
        0 as commission,
        0 as transaction_fee,
        case when merchant_billing.service_type = 'advertising' then merchant_billing.amount else 0 end as advertising,
        case when merchant_billing.service_type = 'value_added' then merchant_billing.amount else 0 end
            as value_added_services,
        0 as membership,
        0 as fee_refunds
    from merchant_billing
    left join merchants on merchant_billing.merchant_id = merchants.merchant_id

),

membership_lines as (

    select
        membership_events.occurred_date as date_day,
        users.first_touch_channel as channel,
        'membership' as category,
        membership_events.user_id,
        null as paid_order_id,
        null as paying_user_id,
        0 as gmv,
        0 as gmv_paid,
        0 as cancelled_gmv,
        0 as cancelled_orders,
        0 as discount,
        0 as refunds,
        0 as commission,
        0 as transaction_fee,
        0 as advertising,
        0 as value_added_services,
        membership_events.amount as membership,
        0 as fee_refunds
    from membership_events
    inner join users on membership_events.user_id = users.user_id

),

lines as (

    select * from order_lines
    union all
    select * from payment_lines
    union all
    select * from refund_lines
    union all
    select * from billing_lines
    union all
    select * from membership_lines

),

combined as (

    select
        date_day,
        case when grouping(channel) = 1 then 'all' else channel end as channel,
        case when grouping(category) = 1 then 'all' else category end as category,
        grouping(channel) = 1 as is_day_total,
        count(distinct paid_order_id) as orders,
        count(distinct paying_user_id) as paying_users,
        sum(gmv) as gmv,
        sum(gmv_paid) as gmv_paid,
        sum(cancelled_gmv) as cancelled_gmv,
        sum(cancelled_orders) as cancelled_orders,
        sum(discount) as discount,
        sum(refunds) as refunds,
        sum(commission) as commission,
        sum(transaction_fee) as transaction_fee,
        sum(advertising) as advertising,
        sum(value_added_services) as value_added_services,
        sum(membership) as membership,
        sum(fee_refunds) as fee_refunds
    from lines
    {% if is_incremental() %}
        where date_day >= {{ rebuild_floor(rebuild) }}
    {% endif %}
    group by date_day, rollup((channel, category))

),

amounts as (

    select
        combined.date_day,
        combined.channel,
        combined.category,
        combined.orders,
        combined.paying_users,
        cast(combined.cancelled_orders as bigint) as cancelled_orders,
        case when combined.is_day_total then active_users.dau end as dau,
        case when combined.is_day_total then active_users.mau end as mau,
        cast(combined.gmv as decimal(18, 2)) as gmv,
        cast(combined.gmv_paid as decimal(18, 2)) as gmv_paid,
        cast(combined.cancelled_gmv as decimal(18, 2)) as cancelled_gmv,
        cast(combined.discount as decimal(18, 2)) as discount,
        cast(combined.refunds as decimal(18, 2)) as refunds,
        cast(combined.gmv - combined.discount - combined.refunds as decimal(18, 2)) as net_revenue,
        cast(combined.commission as decimal(18, 2)) as commission,
        cast(combined.transaction_fee as decimal(18, 2)) as transaction_fee,
        {{ needs('merchant_billing', 'cast(combined.advertising as decimal(18, 2))') }} as advertising,
        {{ needs('merchant_billing', 'cast(combined.value_added_services as decimal(18, 2))') }} as value_added_services,
        {{ needs('memberships', 'cast(combined.membership as decimal(18, 2))') }} as membership,
        cast(combined.fee_refunds as decimal(18, 2)) as fee_refunds,
        cast({{ platform_revenue(
            'combined.commission', 'combined.transaction_fee', 'combined.advertising', 'combined.value_added_services',
            'combined.membership', 'combined.fee_refunds', 'combined.gmv - combined.discount - combined.refunds'
        ) }} as decimal(18, 2)) as platform_revenue,
        combined.is_day_total
    from combined
    left join active_users on combined.date_day = active_users.date_day and active_users.platform = 'all'

),

final as (

    select
        channel,
        category,
        orders,
        paying_users,
        cancelled_orders,
        dau,
        mau,
        gmv,
        gmv_paid,
        cancelled_gmv,
        discount,
        refunds,
        net_revenue,
        commission,
        transaction_fee,
        advertising,
        value_added_services,
        membership,
        fee_refunds,
        platform_revenue,
        {{ to_decimal('cast(gmv_paid as double) / nullif(orders, 0)', 18, 2) }} as aov,
        cast(platform_revenue as double) / nullif(gmv, 0) as take_rate,
        cast(paying_users as double) / nullif(dau, 0) as pay_rate,
        {{ to_decimal("cast(platform_revenue as double) / nullif(mau, 0)", 18, 4) }} as arpu,
        {{ to_decimal("cast(platform_revenue as double) / nullif(paying_users, 0)", 18, 4) }} as arppu,
        {{ to_decimal("cast(platform_revenue as double) / nullif(dau, 0)", 18, 4) }} as arpdau,
        is_day_total,
        date_day
    from amounts

)

select * from final
