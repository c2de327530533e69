-- One row per acquisition channel of the catalogue, plus the explicit `direct` channel
-- (direct / unattributed) that users without a touch belong to.
with channels as (

    select * from {{ ref('stg_channels__channels') }}

),

direct as (

    select
        'direct' as channel,
        'Direct / unattributed' as channel_name,
        'direct' as channel_type,
        'organic' as channel_group,
        'none' as cost_model,
        '{{ var("reporting_tz") }}' as native_timezone,
        false as is_paid

),

final as (

    select
        channel,
        channel_name,
        channel_type,
        channel_group,
        cost_model,
        native_timezone,
        is_paid
    from channels
    union all
    select * from direct

)

select * from final
