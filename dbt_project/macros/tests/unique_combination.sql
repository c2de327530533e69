{#- The columns together identify a row (dbt_utils.unique_combination_of_columns, which the
    package hub this project cannot reach would provide). -#}
{% test unique_combination(model, columns) %}
    select {{ columns | join(', ') }}, count(*) as n_rows
    from {{ model }}
    group by {{ columns | join(', ') }}
    having count(*) > 1
{% endtest %}
