-- Grain: period type (week, month) x cohort start (the week, from Monday, or month of
-- registration) x periods since. Retained users are the cohort's users active in that period;
-- period 0 is the cohort itself (registering is its first activity), so its rate is 1.
-- `is_period_partial` flags the period that holds the as-of day and has not ended (the last
-- cell of each cohort's row, and the whole of a cohort still registering): its users have had
-- less time to come back, so its rate is not comparable with the complete periods before it.
with users as (

    select * from {{ ref('int_users_attributed') }}

),

activity as (

    select * from {{ ref('int_user_activity_daily') }}

),

as_of as (

    {{ as_of_date() }}

),

{% for period in ['week', 'month'] %}
    {{ period }}_cohorts as (

        select
            '{{ period }}' as period_type,
            cast({{ dbt.date_trunc(period, 'registered_date') }} as date) as cohort_start,
            count(*) as cohort_size
        from users
        group by cast({{ dbt.date_trunc(period, 'registered_date') }} as date)

    ),

    {{ period }}_retained as (

        select
            cast({{ dbt.date_trunc(period, 'users.registered_date') }} as date) as cohort_start,
            {{ dbt.datediff(dbt.date_trunc(period, 'users.registered_date'), dbt.date_trunc(period, 'activity.activity_date'), period) }}
                as periods_since,
            count(distinct users.user_id) as retained_users
        from users
        inner join activity on users.user_id = activity.user_id
        where activity.activity_date > users.registered_date
        group by all

    ),

    {{ period }}_spine as (

        select
            {{ period }}_cohorts.period_type,
            {{ period }}_cohorts.cohort_start,
            {{ period }}_cohorts.cohort_size,
            {{ int_series('0', (dbt.datediff(period ~ '_cohorts.cohort_start', dbt.date_trunc(period, 'as_of.as_of_date'), period))) }} as periods_since
        from {{ period }}_cohorts
        cross join as_of

    ),

    {{ period }}_final as (

        select
            {{ period }}_spine.period_type,
            {{ period }}_spine.cohort_start,
            {{ period }}_spine.periods_since,
            {{ period }}_spine.cohort_size,
            case
                when {{ period }}_spine.periods_since = 0 then {{ period }}_spine.cohort_size
                else coalesce({{ period }}_retained.retained_users, 0)
            end as retained_users,
            {{ dbt.dateadd(period, '(' ~ period ~ '_spine.periods_since + 1)', period ~ '_spine.cohort_start') }}
            > {{ dbt.dateadd('day', 1, 'as_of.as_of_date') }} as is_period_partial
        from {{ period }}_spine
        cross join as_of
        left join {{ period }}_retained
            on
                {{ period }}_spine.cohort_start = {{ period }}_retained.cohort_start
                and {{ period }}_spine.periods_since = {{ period }}_retained.periods_since

    ),

{% endfor %}

final as (

    select
        period_type,
        cohort_start,
        periods_since,
        cohort_size,
        retained_users,
        cast(retained_users as double) / nullif(cohort_size, 0) as retention_rate,
        is_period_partial
    from (
        select * from week_final
        union all
        select * from month_final
    ) as periods

)

select * from final
