-- One row per real user: first- and last-touch channel and campaign, and when the touches were.
-- Users with no touch in the attribution window have channel `direct` and campaign `none`.
with users as (

    select * from {{ ref('int_users_attributed') }}

),

final as (

    select
        user_id,
        first_touch_channel,
        first_touch_campaign_id,
        last_touch_channel,
        last_touch_campaign_id,
        platform,
        touches,
        has_touch,
        registered_date,
        first_touch_at,
        last_touch_at,
        registered_at
    from users

)

select * from final
