{#- The events mapping (mappings/events.yml, passed as vars): SQL for "this event name has role r". -#}
{% macro has_role(role, column='event_type') -%}
    {%- set names = var('event_roles').get(role, []) -%}
    {%- if names -%}
        {{ column }} in ({{ quoted_list(names) }})
    {%- else -%}
        false
    {%- endif -%}
{%- endmacro %}

{#- A source's platform value as one of the marts' platforms (var `platform_map`, compared
    case-insensitively); a value the map does not know is kept as it came. -#}
{% macro normalised_platform(column) -%}
    {%- set platforms = var('platform_map') -%}
    coalesce(
        case lower(trim({{ column }}))
            {%- for value, platform in platforms.items() %}
            when '{{ value | replace("'", "''") }}' then '{{ platform }}'
            {%- endfor %}
        end,
        {{ column }}
    )
{%- endmacro %}

{#- Whether the deployment has a feed (var `absent_feeds`, from the configuration): marts put NULL in
    the columns that need a feed it does not have, rather than a misleading 0. -#}
{% macro feed_available(feed) -%}
    {{ return(feed not in var('absent_feeds', [])) }}
{%- endmacro %}

{#- `expression`, or NULL of its type when the deployment does not have `feed` (a missing ad spend
    feed makes spend, CAC and ROAS "not available", not 0). -#}
{% macro needs(feed, expression) -%}
    {%- if feed_available(feed) -%}
        {{ expression }}
    {%- else -%}
        case when false then {{ expression }} end
    {%- endif -%}
{%- endmacro %}
