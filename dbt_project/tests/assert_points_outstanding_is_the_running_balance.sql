-- Points outstanding = cumulative earned - redeemed - expired, every day.
with ledger as (

    select * from {{ ref('fct_points_daily') }}

),

running as (

    select
        date_day,
        points_outstanding,
        sum(points_earned - points_redeemed - points_expired) over (order by date_day) as running_balance
    from ledger

)

select *
from running
where points_outstanding != running_balance
