{#- Every row satisfies the SQL expression (dbt_utils.expression_is_true, which the package hub
    this project cannot reach would provide). Use the test's `where` config to scope it. -#}
{% test expression_is_true(model, expression, column_name=none) %}
    select *
    from {{ model }}
    where not ({{ expression }})
{% endtest %}
