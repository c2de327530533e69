{#- For each period type: active(t) - active(t-1) = new + resurrecting + dormant, with dormant
    stored as a negative count and a missing previous period counting as 0 active users. -#}
{% test lifecycle_identity(model) %}
    with periods as (
        select
            current_period.period_type,
            current_period.period_start,
            current_period.active_users,
            coalesce(previous_period.active_users, 0) as previous_active_users,
            current_period.new_users,
            current_period.resurrecting_users,
            current_period.dormant_users
        from {{ model }} as current_period
        left join {{ model }} as previous_period
            on
                current_period.period_type = previous_period.period_type
                and previous_period.period_start = case current_period.period_type
                    when 'day' then {{ dbt.dateadd('day', -1, 'current_period.period_start') }}
                    when 'week' then {{ dbt.dateadd('day', -7, 'current_period.period_start') }}
                    else {{ dbt.dateadd('month', -1, 'current_period.period_start') }}
                end
    )

    select *
    from periods
    where active_users - previous_active_users != new_users + resurrecting_users + dormant_users
{% endtest %}
