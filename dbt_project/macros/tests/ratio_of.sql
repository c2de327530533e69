{#- The ratio column is numerator / denominator (x multiplier) of the same row, within a relative
    tolerance for rounding, and NULL exactly when the denominator is 0 or either part is NULL. -#}
{% test ratio_of(model, column_name, numerator, denominator, multiplier=1, tolerance=0.0001) %}
    select
        {{ column_name }} as ratio,
        {{ numerator }} as numerator,
        {{ denominator }} as denominator
    from {{ model }}
    where
        case
            when coalesce({{ denominator }}, 0) = 0 or {{ numerator }} is null then {{ column_name }} is not null
            else
                {{ column_name }} is null
                or abs(
                    cast({{ column_name }} as double)
                    - cast({{ numerator }} as double) * {{ multiplier }} / cast({{ denominator }} as double)
                ) > {{ tolerance }} * greatest(1, abs(cast({{ numerator }} as double) * {{ multiplier }} / cast({{ denominator }} as double)))
        end
{% endtest %}
