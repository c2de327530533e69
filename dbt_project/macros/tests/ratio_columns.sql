{#- Each ratio column is numerator / denominator (x multiplier) of its own row, within a relative
    tolerance for rounding, and NULL exactly when the denominator is 0 or either part is NULL. All the
    ratio columns of a model are one test (one scan, one node; see not_null_columns): `columns` maps
    each ratio column to its numerator and denominator (SQL on the row) and, optionally, its
    multiplier (default 1) and tolerance (default 0.0001). Returns one row per column that has rows
    breaking it, with their number: the failure names the column. -#}
{% test ratio_columns(model, columns) %}
    {%- set broken = {} %}
    {%- for column, ratio in columns.items() %}
        {%- set expected -%}
            cast({{ ratio.numerator }} as double) * {{ ratio.get('multiplier', 1) }} / cast({{ ratio.denominator }} as double)
        {%- endset %}
        {%- set condition -%}
            case
                when coalesce({{ ratio.denominator }}, 0) = 0 or {{ ratio.numerator }} is null
                    then {{ column }} is not null
                else
                    {{ column }} is null
                    or abs(cast({{ column }} as double) - {{ expected }})
                    > {{ ratio.get('tolerance', 0.0001) }} * greatest(1, abs({{ expected }}))
            end
        {%- endset %}
        {%- do broken.update({column: condition}) %}
    {%- endfor %}
    {{ broken_rows_by_column(model, broken, 'failing_rows') }}
{% endtest %}
