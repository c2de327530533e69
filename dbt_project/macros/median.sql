{#- The median of an expression within a group (DuckDB and Postgres spell it differently from Spark). -#}
{% macro median(expression) -%}
    {{ return(adapter.dispatch('median', 'opswh')(expression)) }}
{%- endmacro %}

{% macro default__median(expression) -%}
    median({{ expression }})
{%- endmacro %}

{#- The continuous percentile of a numeric expression (linear interpolation between the two nearest
    values, as numpy's default): `percentile(x, 0.9)` is the p90. -#}
{% macro percentile(expression, fraction) -%}
    {{ return(adapter.dispatch('percentile', 'opswh')(expression, fraction)) }}
{%- endmacro %}

{% macro default__percentile(expression, fraction) -%}
    quantile_cont({{ expression }}, {{ fraction }})
{%- endmacro %}

{% macro spark__percentile(expression, fraction) -%}
    percentile({{ expression }}, {{ fraction }})
{%- endmacro %}
