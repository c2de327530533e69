{#- A double as decimal(precision, scale), rounded as DuckDB's cast rounds it: the double times
    10^scale, half away from zero. Spark's own cast rounds the double's shortest decimal form
    instead (21.11125 -> 21.1113 where DuckDB gives 21.1112, the double being 21.1112499...), so
    Spark rounds the same product itself and casts the result, which is then exact. -#}
{% macro to_decimal(expression, precision, scale) -%}
    {{ return(adapter.dispatch('to_decimal', 'opswh')(expression, precision, scale)) }}
{%- endmacro %}

{% macro default__to_decimal(expression, precision, scale) -%}
    cast({{ expression }} as decimal({{ precision }}, {{ scale }}))
{%- endmacro %}

{% macro spark__to_decimal(expression, precision, scale) -%}
    cast(
        signum({{ expression }}) * round(abs({{ expression }}) * 1e{{ scale }}, 0) / 1e{{ scale }}
        as decimal({{ precision }}, {{ scale }})
    )
{%- endmacro %}
