{#- The shared body of the tests that check many columns of a model in one scan (not_null_columns,
    ratio_columns, range_columns): `broken` maps each column to a SQL condition that is true on a row
    that breaks the column's rule. Returns one row per column with such rows: the column's name and
    their number (as `count_name`). -#}
{% macro broken_rows_by_column(model, broken, count_name) %}
    with counts as (
        select
        {%- for column, condition in broken.items() %}
            sum(case when {{ condition }} then 1 else 0 end) as {{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
        from {{ model }}
    )
    {%- for column in broken %}
    select '{{ column }}' as column_name, {{ column }} as {{ count_name }} from counts where {{ column }} > 0
    {{- ' union all' if not loop.last }}
    {%- endfor %}
{% endmacro %}
