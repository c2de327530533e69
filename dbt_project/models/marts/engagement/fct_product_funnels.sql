-- Grain: product funnel x cohort date x channel x platform x step. The funnels are the events
-- mapping's (var `product_funnels`: ordered event names and a window in days). A real user enters
-- a funnel at their first event of its first step; the cohort date is that event's reporting day.
-- They reach step k at their first event of step k at or after reaching step k-1 and within the
-- funnel's window of entering (as PostHog and Mixpanel count ordered funnels). Channel is the
-- user's first-touch channel, platform the one they registered on.
{{ config(materialized='table') }}
with events as (

    select * from {{ ref('stg_events__events') }}

),

users as (

    select * from {{ ref('int_users_attributed') }}

),

as_of as (

    {{ as_of_date() }}

),

{%- set funnels = var('product_funnels') %}
{%- for funnel in funnels %}
    {%- set f = loop.index %}
    {%- for step in funnel.steps %}
        {%- set k = loop.index %}

        funnel_{{ f }}_step_{{ k }} as (

            {%- if k == 1 %}

                select
                    events.user_id,
                    min(events.event_at) as entered_at,
                    min(events.event_at) as reached_at
                from events
                inner join users on events.user_id = users.user_id
                where events.event_type = '{{ step | replace("'", "''") }}'
                group by events.user_id

            {%- else %}

                select
                    previous.user_id,
                    previous.entered_at,
                    min(events.event_at) as reached_at
                from funnel_{{ f }}_step_{{ k - 1 }} as previous
                inner join events
                    on
                        previous.user_id = events.user_id
                        and events.event_type = '{{ step | replace("'", "''") }}'
                        and previous.reached_at <= events.event_at
                        and events.event_at <= {{ dbt.dateadd('day', funnel.window_days, 'previous.entered_at') }}
                group by previous.user_id, previous.entered_at

            {%- endif %}

        ),
    {%- endfor %}
{%- endfor %}

reached as (

    {%- for funnel in funnels %}
        {%- set f = loop.index %}
        {%- for step in funnel.steps %}
            select
                '{{ funnel.name }}' as funnel,
                {{ loop.index }} as step_number,
                '{{ step | replace("'", "''") }}' as step_event,
                {{ funnel.window_days }} as window_days,
                user_id,
                entered_at,
                reached_at
            from funnel_{{ f }}_step_{{ loop.index }}
            {%- if not loop.last %}
                union all
            {%- endif %}
        {%- endfor %}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
    {%- if not funnels %}
    select
        cast(null as {{ dbt.type_string() }}) as funnel,
        cast(null as integer) as step_number,
        cast(null as {{ dbt.type_string() }}) as step_event,
        cast(null as integer) as window_days,
        cast(null as {{ dbt.type_string() }}) as user_id,
        cast(null as {{ dbt.type_timestamp() }}) as entered_at,
        cast(null as {{ dbt.type_timestamp() }}) as reached_at
    where false
    {%- endif %}

),

steps as (

    {%- for funnel in funnels %}
        {%- set f = loop.index %}
        {%- for step in funnel.steps %}
            select
                '{{ funnel.name }}' as funnel,
                {{ loop.index }} as step_number,
                '{{ step | replace("'", "''") }}' as step_event,
                {{ funnel.window_days }} as window_days
            {%- if not loop.last %}
                union all
            {%- endif %}
        {%- endfor %}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
    {%- if not funnels %}
    select
        cast(null as {{ dbt.type_string() }}) as funnel,
        cast(null as integer) as step_number,
        cast(null as {{ dbt.type_string() }}) as step_event,
        cast(null as integer) as window_days
    where false
    {%- endif %}

),

by_group as (

    select
        reached.funnel,
        reached.step_number,
        {{ reporting_date('reached.entered_at') }} as cohort_date,
        users.first_touch_channel as channel,
        users.platform,
        count(*) as users_reached,
        {{ median(dbt.datediff('reached.entered_at', 'reached.reached_at', 'second')) }} as median_seconds_to_reach
    from reached
    inner join users on reached.user_id = users.user_id
    group by reached.funnel, reached.step_number, {{ reporting_date('reached.entered_at') }}, users.first_touch_channel, users.platform

),

grid as (

    -- every step of the funnel for every group that entered it, reached by nobody included
    select
        entered.funnel,
        entered.cohort_date,
        entered.channel,
        entered.platform,
        entered.users_reached as users_entered,
        steps.step_number,
        steps.step_event,
        steps.window_days
    from by_group as entered
    inner join steps on entered.funnel = steps.funnel
    where entered.step_number = 1

),

counted as (

    select
        grid.*,
        coalesce(by_group.users_reached, 0) as users_reached,
        by_group.median_seconds_to_reach,
        lag(coalesce(by_group.users_reached, 0)) over (
            partition by grid.funnel, grid.cohort_date, grid.channel, grid.platform order by grid.step_number
        ) as previous_step_users
    from grid
    left join by_group
        on
            grid.funnel = by_group.funnel
            and grid.step_number = by_group.step_number
            and grid.cohort_date = by_group.cohort_date
            and grid.channel = by_group.channel
            and grid.platform = by_group.platform

),

final as (

    select
        counted.funnel,
        counted.step_event,
        counted.channel,
        counted.platform,
        cast(counted.step_number as integer) as step_number,
        cast(counted.users_entered as bigint) as users_entered,
        cast(counted.users_reached as bigint) as users_reached,
        cast(coalesce(counted.previous_step_users, counted.users_entered) as bigint) as users_reached_previous_step,
        cast(
            counted.users_reached / nullif(coalesce(counted.previous_step_users, counted.users_entered), 0) as double
        ) as step_conversion_rate,
        cast(counted.users_reached as double) / nullif(counted.users_entered, 0) as overall_conversion_rate,
        cast(counted.median_seconds_to_reach as double) as median_seconds_to_reach,
        {{ dbt.dateadd('day', 'counted.window_days', 'counted.cohort_date') }} <= as_of.as_of_date as is_window_complete,
        counted.cohort_date
    from counted
    cross join as_of

)

select * from final
