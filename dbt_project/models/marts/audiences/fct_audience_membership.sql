-- Grain: audience x user x membership period. A user is a member of an audience on the days its
-- predicate (var `audiences`, from operations/audiences.yml) holds on their profile span
-- (fct_user_profile_spans); consecutive member days are one period, from entered_date (its first
-- day) to exited_date (the first day it no longer holds; NULL while the user is still a member on
-- the as-of day). Derived from the dated spans, not accumulated run by run: any load or backfill
-- order gives the same history, and a campaign tool syncs the rows entered or exited since it last
-- looked.
{%- set audiences = var('audiences') %}
with spans as (

    select * from {{ ref('fct_user_profile_spans') }}

),

matched as (
    {%- for audience in audiences %}

        select
            '{{ audience.name }}' as audience,
            user_id,
            valid_from,
            valid_to
        from spans
        where ({{ audience.predicate }})
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
    {%- if not audiences %}
        select
            cast(null as string) as audience,
            user_id,
            valid_from,
            valid_to
        from spans
        where false
    {%- endif %}

),

period_starts as (

    select
        *,
        case
            when
                {{ dbt.dateadd('day', 1, 'lag(valid_to) over (partition by audience, user_id order by valid_from)') }}
                = valid_from
                then 0
            else 1
        end as is_period_start
    from matched

),

periods as (

    select
        *,
        sum(is_period_start) over (
            partition by audience, user_id order by valid_from rows between unbounded preceding and current row
        ) as period
    from period_starts

),

final as (

    select
        audience,
        user_id,
        min(valid_from) as entered_date,
        case
            when bool_or(valid_to is null) then null
            else cast({{ dbt.dateadd('day', 1, 'max(valid_to)') }} as date)
        end as exited_date
    from periods
    group by audience, user_id, period

)

select * from final
