-- Grain: reporting day x platform (the user's registration platform), plus `all`. DAU, WAU and
-- MAU are distinct active users on the day / in the trailing 7 / 30 days. Each active day of a
-- user counts them in until their next active day or the end of the window, whichever is first,
-- so the counts come from running sums of +1/-1 steps rather than a join of every day to every
-- day of its window.
with activity as (

    select * from {{ ref('int_user_activity_daily') }}

),

users as (

    select * from {{ ref('int_users_attributed') }}

),

user_days as (

    select
        users.platform,
        activity.activity_date,
        lead(activity.activity_date) over (
            partition by activity.user_id order by activity.activity_date
        ) as next_activity_date
    from activity
    inner join users on activity.user_id = users.user_id

),

steps as (

    select
        platform,
        activity_date as date_day,
        1 as dau_step,
        1 as wau_step,
        1 as mau_step
    from user_days
    union all
    select
        platform, {{ dbt.dateadd('day', 1, 'activity_date') }} as date_day,
        -1 as dau_step,
        0 as wau_step,
        0 as mau_step
    from user_days
    union all
    select
        platform,
        least(
            {{ dbt.dateadd('day', 7, 'activity_date') }},
            coalesce(next_activity_date, {{ dbt.dateadd('day', 7, 'activity_date') }})
        ) as date_day,
        0 as dau_step,
        -1 as wau_step,
        0 as mau_step
    from user_days
    union all
    select
        platform,
        least(
            {{ dbt.dateadd('day', 30, 'activity_date') }},
            coalesce(next_activity_date, {{ dbt.dateadd('day', 30, 'activity_date') }})
        ) as date_day,
        0 as dau_step,
        0 as wau_step,
        -1 as mau_step
    from user_days

),

by_platform as (

    select
        platform,
        cast(date_day as date) as date_day,
        sum(dau_step) as dau_step,
        sum(wau_step) as wau_step,
        sum(mau_step) as mau_step
    from steps
    group by platform, cast(date_day as date)

),

running as (

    select
        platform,
        date_day,
        sum(dau_step) over (partition by platform order by date_day) as dau,
        sum(wau_step) over (partition by platform order by date_day) as wau,
        sum(mau_step) over (partition by platform order by date_day) as mau
    from by_platform

),

as_of as (

    {{ as_of_date() }}

),

days as (

    -- every day from the first activity to the as-of date: a quiet day is a day with 0 active users
    select
        {{ date_series('min(activity.activity_date)', 'max(as_of.as_of_date)', '1 day') }}
            as date_day
    from activity
    cross join as_of

),

platforms as (

    select distinct platform from running

),

filled as (

    select
        platforms.platform,
        days.date_day,
        cast(coalesce({{ last_non_null("running.dau") }} over w, 0) as bigint) as dau,
        cast(coalesce({{ last_non_null("running.wau") }} over w, 0) as bigint) as wau,
        cast(coalesce({{ last_non_null("running.mau") }} over w, 0) as bigint) as mau
    from days
    cross join platforms
    left join running on days.date_day = running.date_day and platforms.platform = running.platform
    window
        w as (partition by platforms.platform order by days.date_day rows between unbounded preceding and current row)

),

with_total as (

    select
        platform,
        date_day,
        dau,
        wau,
        mau
    from filled
    union all
    select
        'all' as platform,
        date_day,
        sum(dau) as dau,
        sum(wau) as wau,
        sum(mau) as mau
    from filled
    group by date_day

),

final as (

    select
        with_total.date_day,
        with_total.platform,
        cast(with_total.dau as bigint) as dau,
        cast(with_total.wau as bigint) as wau,
        cast(with_total.mau as bigint) as mau,
        cast(with_total.dau as double) / nullif(with_total.mau, 0) as stickiness
    from with_total
    cross join as_of
    where with_total.date_day <= as_of.as_of_date

)

select * from final
