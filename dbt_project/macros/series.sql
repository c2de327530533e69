{#- One row per value of a series, as a select-list expression (inclusive of both ends, none when
    `start` is past `stop`): the days (or weeks, months) from `start` to `stop` by `step`, e.g.
    `date_series('min(d)', 'as_of.as_of_date', '1 day') as date_day`, and the integers of
    `int_series(0, n)`. DuckDB unnests generate_series; Spark explodes sequence, which fails
    where DuckDB returns no rows (start past stop), hence the case. -#}
{% macro date_series(start, stop, step) -%}
    {{ return(adapter.dispatch('date_series', 'opswh')(start, stop, step)) }}
{%- endmacro %}

{% macro default__date_series(start, stop, step) -%}
    cast(unnest(generate_series({{ start }}, {{ stop }}, interval {{ step }})) as date)
{%- endmacro %}

{% macro spark__date_series(start, stop, step) -%}
    explode(case when cast({{ start }} as date) <= cast({{ stop }} as date)
        then sequence(cast({{ start }} as date), cast({{ stop }} as date), interval {{ step }}) end)
{%- endmacro %}

{% macro int_series(start, stop) -%}
    {{ return(adapter.dispatch('int_series', 'opswh')(start, stop)) }}
{%- endmacro %}

{% macro default__int_series(start, stop) -%}
    cast(unnest(generate_series({{ start }}, {{ stop }})) as integer)
{%- endmacro %}

{% macro spark__int_series(start, stop) -%}
    explode(case when {{ start }} <= {{ stop }} then sequence(cast({{ start }} as int), cast({{ stop }} as int)) end)
{%- endmacro %}
