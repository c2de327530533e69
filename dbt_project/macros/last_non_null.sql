{#- A window's last non-NULL value of `expression` (`{{ last_non_null('x') }} over w`). -#}
{% macro last_non_null(expression) -%}
    {{ return(adapter.dispatch('last_non_null', 'opswh')(expression)) }}
{%- endmacro %}

{% macro default__last_non_null(expression) -%}
    last_value({{ expression }} ignore nulls)
{%- endmacro %}

{% macro spark__last_non_null(expression) -%}
    last({{ expression }}, true)
{%- endmacro %}
