-- Revenue attributed to channels (direct included) equals the revenue of all users, computed
-- here straight from the orders and memberships rather than through the channel mart's path:
-- per registration day, D30 net revenue and D30 platform revenue.
with channel_daily as (

    select * from {{ ref('fct_channel_daily') }}

),

users as (

    select * from {{ ref('fct_user_attribution') }}

),

orders as (

    select * from {{ ref('fct_orders') }}

),

membership_events as (

    select * from {{ ref('stg_orders__membership_events') }}

),

user_revenue as (

    select
        user_id,
        placed_date as date_day,
        net_revenue,
        platform_revenue
    from orders
    union all
    select
        user_id,
        occurred_date as date_day,
        0 as net_revenue,
        amount as platform_revenue
    from membership_events

),

all_users as (

    select
        users.registered_date as date_day,
        sum(user_revenue.net_revenue) as revenue_d30,
        sum(user_revenue.platform_revenue) as platform_revenue_d30
    from users
    inner join user_revenue on users.user_id = user_revenue.user_id
    where
        user_revenue.date_day >= users.registered_date
        and user_revenue.date_day < {{ dbt.dateadd('day', 30, 'users.registered_date') }}
    group by users.registered_date

),

channels as (

    select
        date_day,
        sum(revenue_d30) as revenue_d30,
        sum(platform_revenue_d30) as platform_revenue_d30
    from channel_daily
    group by date_day

)

select
    coalesce(all_users.date_day, channels.date_day) as date_day,
    all_users.revenue_d30 as all_users_revenue_d30,
    channels.revenue_d30 as channel_revenue_d30,
    all_users.platform_revenue_d30 as all_users_platform_revenue_d30,
    channels.platform_revenue_d30 as channel_platform_revenue_d30
from all_users
full outer join channels on all_users.date_day = channels.date_day
where
    abs(coalesce(all_users.revenue_d30, 0) - coalesce(channels.revenue_d30, 0)) > 0.005
    or abs(coalesce(all_users.platform_revenue_d30, 0) - coalesce(channels.platform_revenue_d30, 0)) > 0.005
