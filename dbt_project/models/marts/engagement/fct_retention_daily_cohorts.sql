-- Grain: registration day x channel (first touch). For each N in var `retention_days`: users of
-- the cohort active exactly on day N after registration, and on day N or later (unbounded), with
-- rates over the cohort size. A cohort not yet N days old (by the newest activity day) has NULL.
{%- set retention_days = var('retention_days') %}
with users as (

    select * from {{ ref('int_users_attributed') }}

),

activity as (

    select * from {{ ref('int_user_activity_daily') }}

),

as_of as (

    {{ as_of_date() }}

),

user_days as (

    select
        users.user_id,
        users.registered_date,
        users.first_touch_channel as channel,
        {{ dbt.datediff('users.registered_date', 'activity.activity_date', 'day') }} as day_number
    from users
    left join activity
        on users.user_id = activity.user_id and users.registered_date < activity.activity_date

),

per_user as (

    select
        user_id,
        registered_date,
        channel,
        {%- for n in retention_days %}
            max(case when day_number = {{ n }} then 1 else 0 end) as is_active_d{{ n }},
            max(case when day_number >= {{ n }} then 1 else 0 end) as is_active_d{{ n }}_plus,
        {%- endfor %}
        count(day_number) as active_days_after_registration
    from user_days
    group by user_id, registered_date, channel

),

cohorts as (

    select
        per_user.registered_date,
        per_user.channel,
        count(*) as cohort_size,
        {%- for n in retention_days %}
            case
                when {{ dbt.dateadd('day', n, 'per_user.registered_date') }} <= max(as_of.as_of_date)
                    then cast(sum(per_user.is_active_d{{ n }}) as bigint)
            end as retained_d{{ n }},
            case
                when {{ dbt.dateadd('day', n, 'per_user.registered_date') }} <= max(as_of.as_of_date)
                    then cast(sum(per_user.is_active_d{{ n }}_plus) as bigint)
            end as retained_d{{ n }}_plus,
        {%- endfor %}
        max(as_of.as_of_date) as as_of_date
    from per_user
    cross join as_of
    group by per_user.registered_date, per_user.channel

),

final as (

    select
        registered_date,
        channel,
        cohort_size,
        {%- for n in retention_days %}
            retained_d{{ n }},
            retained_d{{ n }}_plus,
            cast(retained_d{{ n }} as double) / nullif(cohort_size, 0) as retention_rate_d{{ n }},
            cast(retained_d{{ n }}_plus as double) / nullif(cohort_size, 0) as retention_rate_d{{ n }}_plus,
        {%- endfor %}
        as_of_date
    from cohorts

)

select * from final
