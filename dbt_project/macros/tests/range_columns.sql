{#- Each column's non-null values lie within [min_value, max_value] (either bound optional). All the
    bounded columns of a model are one test (one scan, one node; see not_null_columns): `columns` maps
    each column to its bounds. Returns one row per column that has values out of bounds, with their
    number: the failure names the column. -#}
{% test range_columns(model, columns) %}
    with broken as (
        select
        {%- for column, bounds in columns.items() %}
            sum(
                case
                    when
                        {{ column }} is not null
                        and (
                            false
                            {% if bounds.get('min_value') is not none %} or {{ column }} < {{ bounds.min_value }}{% endif %}
                            {% if bounds.get('max_value') is not none %} or {{ column }} > {{ bounds.max_value }}{% endif %}
                        )
                        then 1
                    else 0
                end
            ) as {{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
        from {{ model }}
    )
    {%- for column in columns %}
    select '{{ column }}' as column_name, {{ column }} as failing_rows from broken where {{ column }} > 0
    {{- ' union all' if not loop.last }}
    {%- endfor %}
{% endtest %}
