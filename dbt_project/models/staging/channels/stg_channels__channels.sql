-- One row per channel from the catalogue: the full snapshot of the latest delivery wins. A
-- deployment without a channel catalogue (configuration absent_feeds) knows its channels by the
-- sources its data names instead (events' utm_source, registrations' first- and last-touch
-- source), with type and group `unknown` and no cost.
{% if feed_available('channel_catalog') %}
    with source as (

        select * from {{ source('channels', 'channel_catalog') }}

    ),

    ranked as (

        select
            *,
            row_number() over (partition by channel order by _dt desc, _file desc, _line desc) as version_rank
        from source

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
        from ranked
        where version_rank = 1

    )
{% else %}
    with events as (

        select * from {{ ref('stg_events__events') }}

    ),

    registrations as (

        select * from {{ ref('stg_users__registrations') }}

    ),

    named as (

        select utm_source as source_name from events
        union
        select first_touch_source from registrations
        union
        select last_touch_source from registrations

    ),

    final as (

        select distinct
            source_name as channel,
            source_name as channel_name,
            'unknown' as channel_type,
            'unknown' as channel_group,
            'none' as cost_model,
            '{{ var("reporting_tz") }}' as native_timezone,
            false as is_paid
        from named
        where source_name is not null and source_name != 'direct'

    )
{% endif %}

select * from final
