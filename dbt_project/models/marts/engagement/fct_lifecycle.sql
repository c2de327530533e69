-- Grain: period type (day, week, month) x period start. For each period, active users split
-- into new (registered in the period and not active in the previous one), returning (active in
-- the previous period too) and resurrecting (neither); dormant users were active in the previous
-- period but not in this one, reported as a negative count. The identity
-- active(t) - active(t-1) = new + resurrecting + dormant holds for every row.
-- A user active before registering (a source's clock, an event logged before the account record):
-- the user is new in their first active period, even when it precedes the registration period,
-- and returning (not new again) in the registration period when active in the one before; so
-- every user is new exactly once, in the first period they are active.
with users as (

    select * from {{ ref('int_users_attributed') }}

),

activity as (

    select * from {{ ref('int_user_activity_daily') }}

),

as_of as (

    {{ as_of_date() }}

),

{% for period in ['day', 'week', 'month'] %}
    {{ period }}_active as (

        select distinct
            activity.user_id,
            cast({{ dbt.date_trunc(period, 'activity.activity_date') }} as date) as period_start,
            cast({{ dbt.date_trunc(period, 'users.registered_date') }} as date) as registered_period_start
        from activity
        inner join users on activity.user_id = users.user_id

    ),

    {{ period }}_flagged as (

        select
            user_id,
            period_start,
            registered_period_start,
            lag(period_start) over (partition by user_id order by period_start)
            = {{ dbt.dateadd(period, -1, 'period_start') }} as was_active_before,
            period_start = min(period_start) over (partition by user_id)
            and period_start < registered_period_start as is_active_before_registering,
            coalesce(
                lead(period_start) over (partition by user_id order by period_start)
                = {{ dbt.dateadd(period, 1, 'period_start') }},
                false
            ) as is_active_after
        from {{ period }}_active

    ),

    {{ period }}_counts as (

        select
            period_start,
            count(*) as active_users,
            count(
                case
                    when
                        not coalesce(was_active_before, false)
                        and (registered_period_start = period_start or is_active_before_registering)
                        then 1
                end
            )
                as new_users,
            count(case when coalesce(was_active_before, false) then 1 end) as returning_users,
            count(
                case
                    when
                        not coalesce(was_active_before, false)
                        and registered_period_start != period_start
                        and not is_active_before_registering
                        then 1
                end
            )
                as resurrecting_users,
            0 as dormant_users
        from {{ period }}_flagged
        group by period_start
        union all
        select
            cast({{ dbt.dateadd(period, 1, 'period_start') }} as date) as period_start,
            0 as active_users,
            0 as new_users,
            0 as returning_users,
            0 as resurrecting_users,
            -count(*) as dormant_users
        from {{ period }}_flagged
        where not is_active_after
        group by {{ dbt.dateadd(period, 1, 'period_start') }}

    ),

    {{ period }}_final as (

        select
            '{{ period }}' as period_type,
            {{ period }}_counts.period_start,
            sum({{ period }}_counts.active_users) as active_users,
            sum({{ period }}_counts.new_users) as new_users,
            sum({{ period }}_counts.returning_users) as returning_users,
            sum({{ period }}_counts.resurrecting_users) as resurrecting_users,
            sum({{ period }}_counts.dormant_users) as dormant_users,
            {{ dbt.dateadd('day', -1, dbt.dateadd(period, 1, period ~ '_counts.period_start')) }}
            > max(as_of.as_of_date)
                as is_period_partial
        from {{ period }}_counts
        cross join as_of
        where {{ period }}_counts.period_start <= as_of.as_of_date
        group by {{ period }}_counts.period_start

    ),

{% endfor %}

final as (

    select
        period_type,
        period_start,
        cast(active_users as bigint) as active_users,
        cast(new_users as bigint) as new_users,
        cast(returning_users as bigint) as returning_users,
        cast(resurrecting_users as bigint) as resurrecting_users,
        cast(dormant_users as bigint) as dormant_users,
        is_period_partial
    from (
        select * from day_final
        union all
        select * from week_final
        union all
        select * from month_final
    ) as periods

)

select * from final
