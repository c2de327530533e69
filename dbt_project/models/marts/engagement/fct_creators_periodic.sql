-- Grain: period type (week, from Monday; month) x period start x content type (UGC / PGC, and
-- `all`). Active creators are the distinct creators with at least one post published in the
-- period and not removed by moderation; they cannot be added up from days (a creator posting on
-- two days is one creator of the week), so they are counted here per period.
-- `is_period_partial` flags the period that holds the as-of day and has not ended.
with content_items as (

    select * from {{ ref('stg_reference__content_items') }}

),

as_of as (

    {{ as_of_date() }}

),

{% for period in ['week', 'month'] %}
    {{ period }}_counts as (

        select
            '{{ period }}' as period_type,
            cast({{ dbt.date_trunc(period, 'published_date') }} as date) as period_start,
            case when grouping(content_type) = 1 then 'all' else content_type end as content_type,
            count(distinct creator_id) as active_creators,
            count(*) as posts
        from content_items
        where not is_removed
        group by cast({{ dbt.date_trunc(period, 'published_date') }} as date), rollup(content_type)

    ),

{% endfor %}

final as (

    select
        counts.period_type,
        counts.period_start,
        counts.content_type,
        counts.active_creators,
        counts.posts,
        case counts.period_type
            when 'week' then {{ dbt.dateadd('week', 1, 'counts.period_start') }}
            else {{ dbt.dateadd('month', 1, 'counts.period_start') }}
        end > {{ dbt.dateadd('day', 1, 'as_of.as_of_date') }} as is_period_partial
    from (
        select * from week_counts
        union all
        select * from month_counts
    ) as counts
    cross join as_of
    where counts.period_start <= as_of.as_of_date

)

select * from final
