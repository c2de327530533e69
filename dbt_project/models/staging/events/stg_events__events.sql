-- One row per event: SDK re-sends share an event_id, and the earliest received copy is kept.
-- event_at is UTC; event_date is the reporting day it happened, whatever partition it arrived in.
-- Incremental, unlike the other staging models (views, and tables for orders and registrations):
-- a dozen models read events, and deduplicating and parsing the whole history on every build is
-- what made the daily build slow. Each run recomputes the landing partitions (re)loaded since the last build,
-- whatever their day (backfills and reloads included), and replaces them; an event already kept
-- from another partition, which received it earlier, is not taken again. `dbt build
-- --full-refresh` rebuilds from raw.
{{
    config(
        materialized='incremental',
        on_schema_change='append_new_columns',
        **incremental_by_day('delivered_date')
    )
}}
with landed as (

    select * from {{ source('events', 'events') }}
    {% if is_incremental() %}
        where _dt in (
            select distinct _dt from {{ source('events', 'events') }}
            -- every partition while this holds no rows (the first builds had no events)
            where _loaded_at > coalesce((select max(loaded_at) from {{ this }}), cast('1900-01-01' as timestamp))
        )
    {% endif %}

),

source as (

    -- the contract's fallbacks for columns an export may lack: a deterministic id from the record
    -- (so a re-sent event is still one event), the user as the device, the event's own time
    select
        user_id,
        event_type,
        event_at,
        properties,
        _dt,
        _file,
        _line,
        _load_id,
        _loaded_at,
        coalesce(
            event_id,
            'h' || {{ dbt.hash(dbt.concat([
                "coalesce(user_id, '')", "'|'", "coalesce(device_id, '')", "'|'", "event_type", "'|'",
                "cast(event_at as " ~ dbt.type_string() ~ ")", "'|'", "coalesce(cast(properties as " ~ dbt.type_string() ~ "), '')"
            ])) }}
        ) as event_id,
        coalesce(device_id, user_id) as device_id,
        coalesce(received_at, event_at) as received_at
    from landed

),

ranked as (

    select
        *,
        row_number() over (
            partition by event_id
            order by received_at asc, _dt asc, _file asc, _line asc
        ) as copy_rank
    from source

),

{% if is_incremental() %}
    kept_elsewhere as (

        select event_id from {{ this }}
        where delivered_date not in (select distinct _dt from source)

    ),
{% endif %}

final as (

    select
        ranked.event_id,
        ranked.user_id,
        ranked.device_id,
        ranked.event_type,
        {{ json_text('ranked.properties', '$.utm_source') }} as utm_source,
        {{ json_text('ranked.properties', '$.utm_medium') }} as utm_medium,
        {{ json_text('ranked.properties', '$.utm_campaign') }} as utm_campaign,
        {{ json_text('ranked.properties', '$.content_id') }} as content_id,
        {{ json_text('ranked.properties', '$.campaign_id') }} as campaign_id,
        {{ json_text('ranked.properties', '$.coupon_id') }} as coupon_id,
        cast({{ json_text('ranked.properties', '$.points') }} as integer) as points,
        {{ normalised_platform(json_text('ranked.properties', '$.platform')) }} as platform,
        ranked.properties,
        {{ reporting_date('ranked.event_at') }} as event_date,
        {{ reporting_date('ranked.received_at') }} as received_date,
        ranked.event_at,
        ranked.received_at,
        ranked._dt as delivered_date,
        ranked._loaded_at as loaded_at
    from ranked
    {% if is_incremental() %}
        left join kept_elsewhere on ranked.event_id = kept_elsewhere.event_id
    {% endif %}
    where
        ranked.copy_rank = 1
    {% if is_incremental() %}
            and kept_elsewhere.event_id is null
        {% endif %}

)

select * from final
