-- One row per user, as registered. Test accounts keep their flag here; marts drop them.
with source as (

    select * from {{ source('users', 'registrations') }}

),

ranked as (

    select
        *,
        row_number() over (partition by user_id order by _dt desc, _file desc, _line desc) as version_rank
    from source

),

final as (

    select
        user_id,
        coalesce(device_id, user_id) as device_id,  -- the contract's fallback: the user is the device
        {{ normalised_platform('platform') }} as platform,
        region,
        nickname,
        first_touch_source,
        first_touch_medium,
        first_touch_campaign,
        last_touch_source,
        last_touch_medium,
        last_touch_campaign,
        referrer,
        invite_code,
        coalesce(is_test, false) as is_test,
        {{ reporting_date('registered_at') }} as registered_date,
        registered_at
    from ranked
    where version_rank = 1

)

select * from final
