-- Grain: operations campaign x reporting day, from its start to its end (or the newest day).
-- Eligible users: the users the campaign assigned (treated and held out), or, for a campaign
-- with no assignments (nobody held out), every real user registered by that day of the campaign
-- (users registered before it and during it: a starter-task campaign's target joins while it
-- runs), so every campaign day has a denominator. Treated users are the assigned treatment group,
-- or every eligible user of a campaign with no holdout, which has has_holdout = false and NULL
-- lift, rather than a pre/post difference dressed up as an effect. Participants are
-- real users with a campaign event that day (never a held-out user). Orders, GMV and
-- platform revenue are those of all treated (and held-out) users that day, participants or not
-- (intention to treat). Cost = cash (each reward the campaign granted, a `reward_granted` event,
-- costs its `reward_cost`: a contest's prize) + coupon value of the orders the campaign funded +
-- points redeemed that day that the campaign had issued x the campaign's points unit cost
-- (int_points_redeemed_by_campaign: points are used oldest first). Points issued and never
-- redeemed cost nothing (they are a liability in fct_points_daily until they expire).
with campaigns as (

    select * from {{ ref('stg_reference__campaigns') }}

),

assignments as (

    select * from {{ ref('stg_reference__campaign_assignments') }}

),

users as (

    select * from {{ ref('int_users_attributed') }}

),

events as (

    select * from {{ ref('stg_events__events') }}

),

orders as (

    select * from {{ ref('fct_orders') }}

),

points_redeemed as (

    select * from {{ ref('int_points_redeemed_by_campaign') }}

),

as_of as (

    {{ as_of_date() }}

),

groups as (

    select
        assignments.campaign_id,
        assignments.user_id,
        assignments.is_holdout,
        cast(null as date) as eligible_from
    from assignments
    inner join users on assignments.user_id = users.user_id
    union all
    select
        campaigns.campaign_id,
        users.user_id,
        false as is_holdout,
        users.registered_date as eligible_from
    from campaigns
    inner join users on campaigns.end_date >= users.registered_date
    where campaigns.campaign_id not in (select distinct assignments.campaign_id from assignments)

),

campaign_days as (

    select
        campaigns.campaign_id,
        campaigns.points_unit_cost,
        campaigns.reward_cost,
        {{ date_series('campaigns.start_date', 'least(campaigns.end_date, as_of.as_of_date)', '1 day') }} as date_day
    from campaigns
    cross join as_of
    where campaigns.start_date <= as_of.as_of_date

),

group_sizes as (

    select
        campaign_days.campaign_id,
        campaign_days.date_day,
        count(case when not groups.is_holdout then 1 end) as treated_users,
        count(case when groups.is_holdout then 1 end) as holdout_users
    from campaign_days
    inner join groups
        on
            campaign_days.campaign_id = groups.campaign_id
            and coalesce(campaign_days.date_day >= groups.eligible_from, true)
    group by campaign_days.campaign_id, campaign_days.date_day

),

campaign_events as (

    select
        events.campaign_id,
        events.event_date as date_day,
        events.user_id,
        events.event_type,
        events.points
    from events
    inner join users on events.user_id = users.user_id
    left join groups on events.campaign_id = groups.campaign_id and events.user_id = groups.user_id
    where
        ({{ has_role('campaign_interaction', 'events.event_type') }} or {{ has_role('reward_granted', 'events.event_type') }})
        and not coalesce(groups.is_holdout, false)

),

participation as (

    select
        campaign_id,
        date_day,
        count(distinct case when {{ has_role('campaign_interaction') }} then user_id end) as participants,
        sum(case when {{ has_role('points_earned') }} then points else 0 end) as points_issued,
        count(case when {{ has_role('reward_granted') }} then 1 end) as rewards_granted
    from campaign_events
    group by campaign_id, date_day

),

participants as (

    select distinct
        campaign_id,
        date_day,
        user_id
    from campaign_events
    where {{ has_role('campaign_interaction') }}

),

redeemed as (

    select
        campaign_id,
        date_day,
        sum(points) as points_redeemed
    from points_redeemed
    where campaign_id is not null
    group by campaign_id, date_day

),

coupons as (

    select
        campaign_id,
        placed_date as date_day,
        sum(discount) as coupon_cost
    from orders
    where campaign_id is not null and not is_cancelled
    group by campaign_id, placed_date

),

group_orders as (

    select
        groups.campaign_id,
        orders.placed_date as date_day,
        count(case when not groups.is_holdout then 1 end) as treated_orders,
        sum(case when not groups.is_holdout then orders.gmv else 0 end) as treated_gmv,
        sum(case when not groups.is_holdout then orders.platform_revenue else 0 end) as treated_platform_revenue,
        count(case when groups.is_holdout then 1 end) as holdout_orders,
        sum(case when groups.is_holdout then orders.gmv else 0 end) as holdout_gmv,
        sum(case when groups.is_holdout then orders.platform_revenue else 0 end) as holdout_platform_revenue
    from groups
    inner join orders on groups.user_id = orders.user_id
    where orders.is_paid and not orders.is_cancelled
    group by groups.campaign_id, orders.placed_date

),

participant_orders as (

    select
        participants.campaign_id,
        participants.date_day,
        count(*) as participant_orders,
        sum(orders.gmv) as participant_gmv
    from participants
    inner join orders
        on participants.user_id = orders.user_id and participants.date_day = orders.placed_date
    where orders.is_paid and not orders.is_cancelled
    group by participants.campaign_id, participants.date_day

),

joined as (

    select
        campaign_days.campaign_id,
        campaign_days.date_day,
        coalesce(group_sizes.treated_users + group_sizes.holdout_users, 0) as eligible_users,
        coalesce(group_sizes.treated_users, 0) as treated_users,
        coalesce(group_sizes.holdout_users, 0) as holdout_users,
        coalesce(participation.participants, 0) as participants,
        coalesce(participant_orders.participant_orders, 0) as participant_orders,
        cast(coalesce(participant_orders.participant_gmv, 0) as decimal(18, 2)) as participant_gmv,
        cast(coalesce(participation.rewards_granted, 0) * campaign_days.reward_cost as decimal(18, 2)) as cash_cost,
        cast(coalesce(coupons.coupon_cost, 0) as decimal(18, 2)) as coupon_cost,
        cast(coalesce(participation.points_issued, 0) as bigint) as points_issued,
        cast(coalesce(redeemed.points_redeemed, 0) as bigint) as points_redeemed,
        cast(coalesce(redeemed.points_redeemed, 0) * campaign_days.points_unit_cost as decimal(18, 2))
            as points_cost,
        coalesce(group_orders.treated_orders, 0) as treated_orders,
        cast(coalesce(group_orders.treated_gmv, 0) as decimal(18, 2)) as treated_gmv,
        cast(coalesce(group_orders.treated_platform_revenue, 0) as decimal(18, 2)) as treated_platform_revenue,
        coalesce(group_orders.holdout_orders, 0) as holdout_orders,
        cast(coalesce(group_orders.holdout_gmv, 0) as decimal(18, 2)) as holdout_gmv,
        cast(coalesce(group_orders.holdout_platform_revenue, 0) as decimal(18, 2)) as holdout_platform_revenue,
        coalesce(group_sizes.holdout_users > 0, false) as has_holdout
    from campaign_days
    left join group_sizes
        on campaign_days.campaign_id = group_sizes.campaign_id and campaign_days.date_day = group_sizes.date_day
    left join participation
        on campaign_days.campaign_id = participation.campaign_id and campaign_days.date_day = participation.date_day
    left join participant_orders
        on
            campaign_days.campaign_id = participant_orders.campaign_id
            and campaign_days.date_day = participant_orders.date_day
    left join coupons
        on campaign_days.campaign_id = coupons.campaign_id and campaign_days.date_day = coupons.date_day
    left join redeemed
        on campaign_days.campaign_id = redeemed.campaign_id and campaign_days.date_day = redeemed.date_day
    left join group_orders
        on campaign_days.campaign_id = group_orders.campaign_id and campaign_days.date_day = group_orders.date_day

),

per_user as (

    select
        *,
        cast(cash_cost + coupon_cost + points_cost as decimal(18, 2)) as cost,
        cast(treated_orders as double) / nullif(treated_users, 0) as orders_per_treated_user,
        case when has_holdout then cast(holdout_orders as double) / nullif(holdout_users, 0) end as orders_per_holdout_user,
        cast(treated_gmv as double) / nullif(treated_users, 0) as gmv_per_treated_user,
        case when has_holdout then cast(holdout_gmv as double) / nullif(holdout_users, 0) end as gmv_per_holdout_user,
        cast(treated_platform_revenue as double) / nullif(treated_users, 0) as platform_revenue_per_treated_user,
        case when has_holdout then cast(holdout_platform_revenue as double) / nullif(holdout_users, 0) end
            as platform_revenue_per_holdout_user
    from joined

),

final as (

    select
        campaign_id,
        eligible_users,
        treated_users,
        holdout_users,
        participants,
        cast(participants as double) / nullif(treated_users, 0) as participation_rate,
        participant_orders,
        participant_gmv,
        cash_cost,
        coupon_cost,
        points_issued,
        points_redeemed,
        points_cost,
        cost,
        treated_orders,
        treated_gmv,
        treated_platform_revenue,
        holdout_orders,
        holdout_gmv,
        holdout_platform_revenue,
        cast(orders_per_treated_user as double) as orders_per_treated_user,
        cast(orders_per_holdout_user as double) as orders_per_holdout_user,
        cast(gmv_per_treated_user as double) as gmv_per_treated_user,
        cast(gmv_per_holdout_user as double) as gmv_per_holdout_user,
        cast((orders_per_treated_user - orders_per_holdout_user) as double) / nullif(orders_per_holdout_user, 0)
            as relative_lift_orders,
        cast((gmv_per_treated_user - gmv_per_holdout_user) as double) / nullif(gmv_per_holdout_user, 0)
            as relative_lift_gmv,
        cast((orders_per_treated_user - orders_per_holdout_user) * treated_users as double) as incremental_orders,
        cast((platform_revenue_per_treated_user - platform_revenue_per_holdout_user) * treated_users as double)
            as incremental_platform_revenue,
        cast(
            ((platform_revenue_per_treated_user - platform_revenue_per_holdout_user) * treated_users - cost)
            / nullif(cost, 0) as double
        ) as campaign_roi,
        has_holdout,
        date_day
    from per_user

)

select * from final
