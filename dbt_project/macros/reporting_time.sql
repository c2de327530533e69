{#- UTC timestamps (stored naive) to the reporting timezone, once, in staging.
    `at time zone` is standard SQL (DuckDB, Postgres, Trino); engines that differ override via dispatch. -#}
{% macro to_reporting_ts(column) -%}
    {{ return(adapter.dispatch('to_reporting_ts', 'opswh')(column)) }}
{%- endmacro %}

{% macro default__to_reporting_ts(column) -%}
    cast(({{ column }} at time zone 'UTC') at time zone '{{ var("reporting_tz") }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}

{#- Spark: timestamps are naive UTC instants (timestamp_ntz, session time zone UTC). -#}
{% macro spark__to_reporting_ts(column) -%}
    cast(from_utc_timestamp({{ column }}, '{{ var("reporting_tz") }}') as timestamp_ntz)
{%- endmacro %}

{% macro reporting_date(column) -%}
    cast({{ to_reporting_ts(column) }} as date)
{%- endmacro %}

{#- Money in the row's currency to the reporting currency, with the fx_rates seed joined as `fx`. -#}
{% macro to_reporting_currency(amount, fx_alias='fx') -%}
    cast({{ amount }} * {{ fx_alias }}.rate_to_reporting as decimal(18, 2))
{%- endmacro %}

{#- The join condition that picks, for a row's currency, the exchange rate in force on its reporting
    day (stg_mappings__fx_rates joined as `fx_alias`). The loader quarantined every row without one. -#}
{% macro fx_rate_in_force(currency, day, fx_alias='fx') -%}
    {{ currency }} = {{ fx_alias }}.currency
    and {{ day }} >= {{ fx_alias }}.valid_from
    and ({{ fx_alias }}.valid_to is null or {{ day }} < {{ fx_alias }}.valid_to)
{%- endmacro %}

{#- Hours from one timestamp to another, to the microsecond, as a double. -#}
{% macro hours_between(start, end) -%}
    {{ return(adapter.dispatch('hours_between', 'opswh')(start, end)) }}
{%- endmacro %}

{% macro default__hours_between(start, end) -%}
    {{ dbt.datediff(start, end, 'microsecond') }} / 3600000000e0
{%- endmacro %}

{#- dbt-spark's datediff has no microseconds; the session time zone is UTC, so the instants' casts
    to timestamp keep them as they are. -#}
{% macro spark__hours_between(start, end) -%}
    (unix_micros(cast({{ end }} as timestamp)) - unix_micros(cast({{ start }} as timestamp))) / 3600000000e0
{%- endmacro %}
