-- Grain: week (from Monday) x rank: the top `hot_topics_top_n` topics of each week by growth of
-- interactions over the previous week (topics new this week rank by their interactions after
-- every topic with a growth figure), with a deterministic tie-break on interactions and topic.
with content_daily as (

    select * from {{ ref('fct_content_daily') }}

),

weekly as (

    select
        topic,
        cast({{ dbt.date_trunc('week', 'date_day') }} as date) as week_start,
        sum(interactions) as interactions,
        sum(posts) as posts
    from content_daily
    group by topic, cast({{ dbt.date_trunc('week', 'date_day') }} as date)

),

with_previous as (

    select
        this_week.topic,
        this_week.week_start,
        this_week.interactions,
        this_week.posts,
        coalesce(previous_week.interactions, 0) as previous_week_interactions
    from weekly as this_week
    left join weekly as previous_week
        on
            this_week.topic = previous_week.topic
            and previous_week.week_start = {{ dbt.dateadd('day', -7, 'this_week.week_start') }}

),

ranked as (

    select
        *,
        cast((interactions - previous_week_interactions) as double) / nullif(previous_week_interactions, 0)
            as interaction_growth,
        cast(row_number() over (
            partition by week_start
            order by
                (interactions - previous_week_interactions) / nullif(previous_week_interactions, 0) desc nulls last,
                interactions desc,
                topic asc
        ) as bigint) as hot_rank
    from with_previous

),

final as (

    select
        hot_rank,
        topic,
        cast(interactions as bigint) as interactions,
        cast(previous_week_interactions as bigint) as previous_week_interactions,
        cast(posts as bigint) as posts,
        interaction_growth,
        week_start
    from ranked
    where hot_rank <= {{ var('hot_topics_top_n') }}

)

select * from final
