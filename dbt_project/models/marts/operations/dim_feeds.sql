-- One row per feed of the landing contract: whether this deployment has it (configuration
-- `absent_feeds`), what needs it, and what was delivered. A feed a team does not have is declared
-- absent rather than delivered empty every day: the columns that need it are NULL, not 0.
{{ config(materialized='table') }}
with deliveries as (

    select * from {{ ref('stg_loader__deliveries') }}

),

feeds as (

    {%- set feeds = [] %}
    {%- if execute %}
        {%- for node in graph.sources.values() if node.schema == 'raw' and node.source_name != 'mappings' and node.source_name != 'loader' %}
            {%- do feeds.append(node) %}
        {%- endfor %}
    {%- endif %}
    {%- for node in feeds | sort(attribute='name') %}
        select
            '{{ node.name }}' as feed,
            '{{ node.source_name }}' as source_system,
            '{{ node.meta.get("needed_by", "") | replace("'", "''") }}' as needed_by,
            {{ feed_available(node.name) }} as is_available
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
    {%- if not feeds %}
    select
        cast(null as {{ dbt.type_string() }}) as feed,
        cast(null as {{ dbt.type_string() }}) as source_system,
        cast(null as {{ dbt.type_string() }}) as needed_by,
        false as is_available
    where false
    {%- endif %}

),

delivered as (

    select
        feed,
        count(*) as days_delivered,
        sum(rows_loaded) as rows_loaded,
        sum(rows_rejected) as rows_rejected,
        min(delivered_date) as first_delivered_date,
        max(delivered_date) as last_delivered_date
    from deliveries
    group by feed

),

final as (

    select
        feeds.feed,
        feeds.source_system,
        feeds.needed_by,
        cast(coalesce(delivered.days_delivered, 0) as bigint) as days_delivered,
        cast(coalesce(delivered.rows_loaded, 0) as bigint) as rows_loaded,
        cast(coalesce(delivered.rows_rejected, 0) as bigint) as rows_rejected,
        feeds.is_available,
        delivered.first_delivered_date,
        delivered.last_delivered_date
    from feeds
    left join delivered on feeds.feed = delivered.feed

)

select * from final
