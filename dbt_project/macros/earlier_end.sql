{#- The end of the overlap of two spans of days whose end is NULL while the span is open: the earlier
    end, NULL only when both are open. Spelled out rather than least(), which some engines make NULL
    as soon as one argument is. -#}
{% macro earlier_end(a, b) -%}
    case when {{ a }} is null then {{ b }} when {{ b }} is null then {{ a }} else least({{ a }}, {{ b }}) end
{%- endmacro %}
