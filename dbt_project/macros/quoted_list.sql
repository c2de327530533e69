{#- A list var as SQL literals: ['a', 'b'] -> 'a', 'b' -#}
{% macro quoted_list(values) -%}
    {%- for v in values %}'{{ v }}'{{ ", " if not loop.last }}{% endfor -%}
{%- endmacro %}
