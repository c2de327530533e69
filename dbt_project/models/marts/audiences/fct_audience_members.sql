-- Grain: audience x current member, as of the snapshot's day: who to send a campaign to today,
-- with the attributes their membership was decided on (their profile span on the as-of day) and
-- the day they entered. Test and internal accounts are never members (profile spans hold real
-- users only).
with membership as (

    select * from {{ ref('fct_audience_membership') }}

),

spans as (

    select * from {{ ref('fct_user_profile_spans') }}

),

as_of as (

    {{ as_of_date() }}

),

final as (

    select
        membership.audience,
        membership.user_id,
        membership.entered_date,
        as_of.as_of_date as snapshot_date,
        spans.channel,
        spans.platform,
        spans.region,
        spans.user_state,
        spans.rfm_segment,
        spans.value_tier,
        spans.last_active_date,
        spans.orders,
        spans.net_spend,
        spans.latest_nps_score,
        spans.open_tickets
    from membership
    cross join as_of
    inner join spans on membership.user_id = spans.user_id and spans.valid_to is null
    where membership.exited_date is null

)

select * from final
