{#- The text at a JSON path of a JSON document (`'$.utm_source'`); NULL where the path is absent. -#}
{% macro json_text(document, path) -%}
    {{ return(adapter.dispatch('json_text', 'opswh')(document, path)) }}
{%- endmacro %}

{% macro default__json_text(document, path) -%}
    json_extract_string({{ document }}, '{{ path }}')
{%- endmacro %}

{% macro spark__json_text(document, path) -%}
    get_json_object({{ document }}, '{{ path }}')
{%- endmacro %}
