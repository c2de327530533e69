{#- Each column's non-null values lie within [min_value, max_value] (either bound optional). All the
    bounded columns of a model are one test (one scan, one node; see not_null_columns): `columns` maps
    each column to its bounds. Returns one row per column that has values out of bounds, with their
    number: the failure names the column. -#}
{% test range_columns(model, columns) %}
    {%- set broken = {} %}
    {%- for column, bounds in columns.items() %}
        {%- set condition -%}
            {{ column }} is not null and (
                false
                {%- if bounds.get('min_value') is not none %} or {{ column }} < {{ bounds.min_value }}{% endif %}
                {%- if bounds.get('max_value') is not none %} or {{ column }} > {{ bounds.max_value }}{% endif %}
            )
        {%- endset %}
        {%- do broken.update({column: condition}) %}
    {%- endfor %}
    {{ broken_rows_by_column(model, broken, 'failing_rows') }}
{% endtest %}
