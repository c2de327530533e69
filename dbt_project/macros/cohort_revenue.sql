{#- Revenue of acquisition cohorts (first-touch channel x registration month) by how long after
    each user's own registration it came: `period` is `period_expression` over `users.registered_date`
    and `user_revenue.date_day` (days for payback, calendar months for LTV). Revenue before the
    registration day is not the cohort's. Reads the `users` (int_users_attributed) and
    `user_revenue` (int_user_revenue_daily) CTEs of the calling model. -#}
{% macro cohort_revenue(period_name, period_expression) -%}
    select
        users.first_touch_channel as channel,
        cast({{ dbt.date_trunc('month', 'users.registered_date') }} as date) as month_start,
        {{ period_expression }} as {{ period_name }},
        sum(user_revenue.platform_revenue) as platform_revenue,
        sum(user_revenue.net_revenue) as net_revenue
    from users
    inner join user_revenue on users.user_id = user_revenue.user_id
    where user_revenue.date_day >= users.registered_date
    group by all
{%- endmacro %}
