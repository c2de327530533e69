{#- Reconciliation: sum(column) of the model equals sum(to_column) of another relation, overall
    or per group (the group columns must have the same names in both), within `tolerance`.
    `where` / `to_where` restrict either side. Fails with one row per group that differs. -#}
{% test sums_match(model, column_name, to, to_column, group_by=[], where_sql='true', to_where='true', tolerance=0.005) %}
    with left_side as (
        select
            {% for g in group_by %}{{ g }}, {% endfor %}
            sum({{ column_name }}) as total
        from {{ model }}
        where {{ where_sql }}
        {% if group_by %}group by {{ group_by | join(', ') }}{% endif %}
    ),

    right_side as (
        select
            {% for g in group_by %}{{ g }}, {% endfor %}
            sum({{ to_column }}) as total
        from {{ to }}
        where {{ to_where }}
        {% if group_by %}group by {{ group_by | join(', ') }}{% endif %}
    )

    select
        {% for g in group_by %}coalesce(left_side.{{ g }}, right_side.{{ g }}) as {{ g }}, {% endfor %}
        left_side.total as model_total,
        right_side.total as expected_total
    from left_side
    full outer join right_side
        on {% if group_by %}{% for g in group_by %}left_side.{{ g }} = right_side.{{ g }}{{ " and " if not loop.last }}{% endfor %}{% else %}true{% endif %}
    where abs(coalesce(left_side.total, 0) - coalesce(right_side.total, 0)) > {{ tolerance }}
{% endtest %}
