-- The daily series each KPI monitor (var `kpi_monitors`) watches: monitor x dimension value ('all'
-- without a dimension) x every day from the series' first to the as-of day. The metric is summed
-- over the day's rows of its mart; a day without a row of a series split by a dimension counts 0
-- (the metric is additive there), a day the unsplit mart has no value for is NULL.
{%- set monitors = var('kpi_monitors') %}
with as_of as (

    {{ as_of_date() }}

),

definitions as (

    {{ kpi_monitor_definitions() }}

),

series as (
    {%- for m in monitors %}

        select
            '{{ m.name }}' as monitor,
            date_day,
            {{ 'cast(' ~ m.dimension ~ ' as string)' if m.dimension else "'all'" }} as dimension_value,
            cast(sum({{ m.metric }}) as double) as value
        from {{ ref(m.table) }}
        group by date_day{{ ', ' ~ m.dimension if m.dimension }}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
    {%- if not monitors %}
        select
            cast(null as string) as monitor,
            cast(null as date) as date_day,
            cast(null as string) as dimension_value,
            cast(null as double) as value
        where false
    {%- endif %}

),

series_keys as (

    select
        monitor,
        dimension_value,
        min(date_day) as first_day
    from series
    group by monitor, dimension_value

),

dense as (

    select
        series_keys.monitor,
        series_keys.dimension_value,
        series_keys.first_day,
        {{ date_series('series_keys.first_day', 'as_of.as_of_date', '1 day') }} as date_day
    from series_keys
    cross join as_of

),

valued as (

    select
        dense.*,
        case
            when definitions.dimension is not null then coalesce(series.value, 0)
            else series.value
        end as value
    from dense
    inner join definitions on dense.monitor = definitions.monitor
    left join series
        on
            dense.monitor = series.monitor
            and dense.dimension_value = series.dimension_value
            and dense.date_day = series.date_day

)

select
    monitor,
    dimension_value,
    first_day,
    date_day,
    value
from valued
