-- Grain: reporting day x audience, from the first registration day to the as-of day, zero
-- included: members that day, users who entered (their first member day) and who exited (their
-- first day no longer a member). members = yesterday's members + entered - exited.
{%- set audiences = var('audiences') %}
with membership as (

    select * from {{ ref('fct_audience_membership') }}

),

users as (

    select * from {{ ref('int_users_attributed') }}

),

as_of as (

    {{ as_of_date() }}

),

audiences as (
    {%- for audience in audiences %}

        select '{{ audience.name }}' as audience
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
    {%- if not audiences %}
        select cast(null as string) as audience
        where false
    {%- endif %}

),

days as (

    select
        {{ date_series('(select min(users.registered_date) from users)', 'as_of.as_of_date', '1 day') }} as date_day
    from as_of

),

changes as (

    select
        audience,
        entered_date as date_day,
        1 as entered,
        0 as exited
    from membership
    union all
    select
        audience,
        exited_date as date_day,
        0 as entered,
        1 as exited
    from membership
    where exited_date is not null

),

daily_changes as (

    select
        audience,
        date_day,
        sum(entered) as entered,
        sum(exited) as exited
    from changes
    group by audience, date_day

),

final as (

    select
        days.date_day,
        audiences.audience,
        cast(sum(coalesce(daily_changes.entered, 0) - coalesce(daily_changes.exited, 0)) over (
            partition by audiences.audience order by days.date_day rows between unbounded preceding and current row
        ) as bigint) as members,
        cast(coalesce(daily_changes.entered, 0) as bigint) as entered,
        cast(coalesce(daily_changes.exited, 0) as bigint) as exited
    from days
    cross join audiences
    left join daily_changes on audiences.audience = daily_changes.audience and days.date_day = daily_changes.date_day

)

select * from final
