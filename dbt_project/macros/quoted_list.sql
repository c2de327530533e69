{#- A list var as SQL literals, quotes doubled: ['a', "b's"] -> 'a', 'b''s' -#}
{% macro quoted_list(values) -%}
    {%- for v in values %}'{{ v | replace("'", "''") }}'{{ ", " if not loop.last }}{% endfor -%}
{%- endmacro %}
