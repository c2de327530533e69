{#- UTC timestamps (stored naive) to the reporting timezone, once, in staging.
    `at time zone` is standard SQL (DuckDB, Postgres, Trino); engines that differ override via dispatch. -#}
{% macro to_reporting_ts(column) -%}
    {{ return(adapter.dispatch('to_reporting_ts', 'opswh')(column)) }}
{%- endmacro %}

{% macro default__to_reporting_ts(column) -%}
    cast(({{ column }} at time zone 'UTC') at time zone '{{ var("reporting_tz") }}' as {{ dbt.type_timestamp() }})
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
