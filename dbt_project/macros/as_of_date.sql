{#- The warehouse's as-of date: the newest reporting day with activity, where every open period
    (a cohort's last cell, the current month, a user's recency) ends. One row, `as_of_date`, from
    the activity CTE a model already reads (`int_user_activity_daily`). -#}
{% macro as_of_date(activity='activity') -%}
    select max(activity_date) as as_of_date from {{ activity }}
{%- endmacro %}
