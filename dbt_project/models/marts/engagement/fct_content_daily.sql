-- Grain: reporting day x content type (UGC / PGC) x topic. Posts published and their creators,
-- and the views and interactions (likes + comments + shares) content of that type and topic got
-- that day. Posts removed by moderation are left out of every count and counted apart.
with content_items as (

    select * from {{ ref('stg_reference__content_items') }}

),

events as (

    select * from {{ ref('stg_events__events') }}

),

users as (

    select * from {{ ref('int_users_attributed') }}

),

posts as (

    select
        published_date as date_day,
        content_type,
        topic,
        count(case when not is_removed then 1 end) as posts,
        count(case when is_removed then 1 end) as removed_posts,
        count(distinct case when not is_removed then creator_id end) as active_creators
    from content_items
    group by published_date, content_type, topic

),

engagement as (

    select
        events.event_date as date_day,
        content_items.content_type,
        content_items.topic,
        count(case when {{ has_role('content_view', 'events.event_type') }} then 1 end) as views,
        count(case when {{ has_role('content_like', 'events.event_type') }} then 1 end) as likes,
        count(case when {{ has_role('content_comment', 'events.event_type') }} then 1 end) as comments,
        count(case when {{ has_role('content_share', 'events.event_type') }} then 1 end) as shares
    from events
    inner join users on events.user_id = users.user_id
    inner join content_items on events.content_id = content_items.content_id
    where
        (
            {{ has_role('content_view', 'events.event_type') }}
            or {{ has_role('content_like', 'events.event_type') }}
            or {{ has_role('content_comment', 'events.event_type') }}
            or {{ has_role('content_share', 'events.event_type') }}
        )
        and not content_items.is_removed
    group by events.event_date, content_items.content_type, content_items.topic

),

keys as (

    select
        date_day,
        content_type,
        topic
    from posts
    union
    select
        date_day,
        content_type,
        topic
    from engagement

),

final as (

    select
        keys.content_type,
        keys.topic,
        coalesce(posts.posts, 0) as posts,
        coalesce(posts.removed_posts, 0) as removed_posts,
        coalesce(posts.active_creators, 0) as active_creators,
        coalesce(engagement.views, 0) as views,
        coalesce(engagement.likes, 0) as likes,
        coalesce(engagement.comments, 0) as comments,
        coalesce(engagement.shares, 0) as shares,
        coalesce(engagement.likes + engagement.comments + engagement.shares, 0) as interactions,
        cast(
            (engagement.likes + engagement.comments + engagement.shares) / nullif(engagement.views, 0) as double
        ) as engagement_rate,
        keys.date_day
    from keys
    left join posts
        on keys.date_day = posts.date_day and keys.content_type = posts.content_type and keys.topic = posts.topic
    left join engagement
        on
            keys.date_day = engagement.date_day
            and keys.content_type = engagement.content_type
            and keys.topic = engagement.topic

)

select * from final
