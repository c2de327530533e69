-- One row per user, as registered. Test accounts keep their flag here; marts drop them.
-- A table, unlike most staging models (views on DuckDB): as a view, each of its readers in a build
-- (the users' arrivals, the funnel, the channel and revenue marts, the rebuild floors of the
-- incremental marts, its data tests) ranked every registration version again: at 10 M events a
-- day, 4.9 M registrations after a week, 1-1.5 s a scan alone and 8-10 s in a busy build.
{{ config(materialized='table') }}
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
