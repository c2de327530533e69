{#- The KPI monitors of var `kpi_monitors` (operations/monitors.yml) as rows: one per monitor, its
    rule's parameters as columns (NULL where the rule has none). -#}
{% macro kpi_monitor_definitions() -%}
    {%- set monitors = var('kpi_monitors') %}
{%- for m in monitors %}

    select
        '{{ m.name }}' as monitor,
        '{{ m.metric }}' as metric,
        {{ "'" ~ m.dimension ~ "'" if m.dimension else 'cast(null as string)' }} as dimension,
        '{{ m.severity }}' as severity,
        '{{ m.rule.type }}' as rule_type,
        cast({{ m.rule.get('max_drop', 'null') }} as double) as max_drop,
        cast({{ m.rule.get('max_rise', 'null') }} as double) as max_rise,
        cast({{ m.rule.get('days', 'null') }} as integer) as z_days,
        cast({{ m.rule.get('threshold', 'null') }} as double) as z_threshold,
        cast({{ m.rule.get('min', 'null') }} as double) as bound_min,
        cast({{ m.rule.get('max', 'null') }} as double) as bound_max,
        cast({{ m.rule.get('min_expected', 'null') }} as double) as min_expected,
        {{ m.history_days }} as history_days
    {%- if not loop.last %}
        union all
    {%- endif %}
{%- endfor %}
{%- if not monitors %}
    select
        cast(null as string) as monitor,
        cast(null as string) as metric,
        cast(null as string) as dimension,
        cast(null as string) as severity,
        cast(null as string) as rule_type,
        cast(null as double) as max_drop,
        cast(null as double) as max_rise,
        cast(null as integer) as z_days,
        cast(null as double) as z_threshold,
        cast(null as double) as bound_min,
        cast(null as double) as bound_max,
        cast(null as double) as min_expected,
        0 as history_days
    where false
{%- endif %}
{%- endmacro %}
