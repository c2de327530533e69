-- One row per real user and reporting day with revenue: the user's orders on the day they were
-- placed (refunds attached to the order, whenever they happened), and membership charges on the
-- day they occurred, which are platform revenue but not net revenue (no GMV behind them). The building block of cohort revenue (D7/D30, payback, LTV, campaigns).
{{ config(materialized='table') }}
with orders as (

    select * from {{ ref('fct_orders') }}

),

membership_events as (

    select * from {{ ref('stg_orders__membership_events') }}

),

users as (

    select * from {{ ref('int_users_attributed') }}

),

order_revenue as (

    select
        user_id,
        placed_date as date_day,
        sum(gmv) as gmv,
        sum(net_revenue) as net_revenue,
        sum(platform_revenue) as platform_revenue
    from orders
    where not is_cancelled
    group by user_id, placed_date

),

membership_revenue as (

    select
        membership_events.user_id,
        membership_events.occurred_date as date_day,
        sum(membership_events.amount) as membership_revenue
    from membership_events
    inner join users on membership_events.user_id = users.user_id
    group by membership_events.user_id, membership_events.occurred_date

),

final as (

    select
        coalesce(order_revenue.user_id, membership_revenue.user_id) as user_id,
        cast(coalesce(order_revenue.gmv, 0) as decimal(18, 2)) as gmv,
        cast(coalesce(order_revenue.net_revenue, 0) as decimal(18, 2)) as net_revenue,
        cast(
            coalesce(order_revenue.platform_revenue, 0)
            {%- if var('revenue_model') != 'retailer' %} + coalesce(membership_revenue.membership_revenue, 0){% endif %}
            as decimal(18, 2)
        ) as platform_revenue,
        coalesce(order_revenue.date_day, membership_revenue.date_day) as date_day
    from order_revenue
    full outer join membership_revenue
        on order_revenue.user_id = membership_revenue.user_id and order_revenue.date_day = membership_revenue.date_day

)

select * from final
