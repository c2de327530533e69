-- One row per acquisition channel of the catalogue, plus the explicit `direct` channel
-- (direct / unattributed) that users without a touch belong to, plus every channel that ad spend
-- names but the catalogue does not (a channel launched before the catalogue lists it): kept, so
-- that spend reconciles, with type and group `unknown` and `is_catalogued` false, which a
-- warning-severity test reports until the catalogue is updated.
with channels as (

    select * from {{ ref('stg_channels__channels') }}

),

ad_spend as (

    select * from {{ ref('stg_channels__ad_spend') }}

),

uncatalogued as (

    select distinct
        ad_spend.channel,
        ad_spend.channel as channel_name,
        'unknown' as channel_type,
        'unknown' as channel_group,
        'none' as cost_model,
        '{{ var("reporting_tz") }}' as native_timezone,
        true as is_paid,
        false as is_catalogued
    from ad_spend
    left join channels on ad_spend.channel = channels.channel
    where channels.channel is null and ad_spend.channel != 'direct'

),

direct as (

    select
        'direct' as channel,
        'Direct / unattributed' as channel_name,
        'direct' as channel_type,
        'organic' as channel_group,
        'none' as cost_model,
        '{{ var("reporting_tz") }}' as native_timezone,
        false as is_paid,
        true as is_catalogued

),

final as (

    select
        channel,
        channel_name,
        channel_type,
        channel_group,
        cost_model,
        native_timezone,
        is_paid,
        true as is_catalogued
    from channels
    union all
    select * from direct
    union all
    select * from uncatalogued

)

select * from final
