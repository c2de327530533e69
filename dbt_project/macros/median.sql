{#- The median of an expression within a group (DuckDB and Postgres spell it differently from Spark). -#}
{% macro median(expression) -%}
    {{ return(adapter.dispatch('median', 'opswh')(expression)) }}
{%- endmacro %}

{% macro default__median(expression) -%}
    median({{ expression }})
{%- endmacro %}
