-- Grain: calendar month (month_start). The month-grain monetization figures that cannot be added
-- up from days: distinct active users (any activity in the month), distinct paying users (a
-- successful payment in the month: paid and not cancelled, by payment day, as in
-- fct_revenue_daily), the buyers among them with at least two such orders, and the month's GMV,
-- net and platform revenue (the sum of fct_revenue_daily's day totals).
-- ARPU = platform revenue / active users; ARPPU = platform revenue / paying users;
-- repeat-purchase rate = buyers with at least 2 orders / buyers with at least 1.
-- `is_period_partial` flags the month that holds the as-of day and has not ended.
-- Active users are real users: int_user_activity_daily keeps the rows of an account flagged as a
-- test account after its days were built, so the join drops them.
with activity as (

    select * from {{ ref('int_user_activity_daily') }}

),

users as (

    select * from {{ ref('int_users_attributed') }}

),

orders as (

    select * from {{ ref('fct_orders') }}

),

revenue as (

    select * from {{ ref('fct_revenue_daily') }}

),

as_of as (

    {{ as_of_date() }}

),

active as (

    select
        cast({{ dbt.date_trunc('month', 'activity.activity_date') }} as date) as month_start,
        count(distinct activity.user_id) as active_users
    from activity
    inner join users on activity.user_id = users.user_id
    group by cast({{ dbt.date_trunc('month', 'activity.activity_date') }} as date)

),

buyers as (

    select
        cast({{ dbt.date_trunc('month', 'paid_date') }} as date) as month_start,
        user_id,
        count(*) as orders
    from orders
    where is_paid and not is_cancelled and paid_date is not null
    group by cast({{ dbt.date_trunc('month', 'paid_date') }} as date), user_id

),

buyer_counts as (

    select
        month_start,
        count(*) as paying_users,
        count(case when orders >= 2 then 1 end) as repeat_buyers,
        sum(orders) as orders
    from buyers
    group by month_start

),

money as (

    select
        cast({{ dbt.date_trunc('month', 'date_day') }} as date) as month_start,
        sum(gmv) as gmv,
        sum(net_revenue) as net_revenue,
        sum(platform_revenue) as platform_revenue
    from revenue
    where is_day_total
    group by cast({{ dbt.date_trunc('month', 'date_day') }} as date)

),

months as (

    select month_start from active
    union
    select month_start from buyer_counts
    union
    select month_start from money

),

final as (

    select
        months.month_start,
        coalesce(active.active_users, 0) as active_users,
        coalesce(buyer_counts.paying_users, 0) as paying_users,
        coalesce(buyer_counts.repeat_buyers, 0) as repeat_buyers,
        cast(coalesce(buyer_counts.orders, 0) as bigint) as orders,
        cast(coalesce(money.gmv, 0) as decimal(18, 2)) as gmv,
        cast(coalesce(money.net_revenue, 0) as decimal(18, 2)) as net_revenue,
        cast(coalesce(money.platform_revenue, 0) as decimal(18, 2)) as platform_revenue,
        {{ to_decimal("cast(coalesce(money.platform_revenue, 0) as double) / nullif(active.active_users, 0)", 18, 4) }} as arpu,
        {{ to_decimal("cast(coalesce(money.platform_revenue, 0) as double) / nullif(buyer_counts.paying_users, 0)", 18, 4) }} as arppu,
        cast(buyer_counts.repeat_buyers as double) / nullif(buyer_counts.paying_users, 0) as repeat_purchase_rate,
        {{ dbt.dateadd('month', 1, 'months.month_start') }} > {{ dbt.dateadd('day', 1, 'as_of.as_of_date') }}
            as is_period_partial
    from months
    cross join as_of
    left join active on months.month_start = active.month_start
    left join buyer_counts on months.month_start = buyer_counts.month_start
    left join money on months.month_start = money.month_start
    where months.month_start <= as_of.as_of_date

)

select * from final
