-- A real user's feedback as spans of days over which it stays the same: the latest NPS answer on
-- or before the day (NULL before the first) and the tickets open at the end of the day. Spans
-- start on the registration day and change only on a day with an NPS answer or a ticket opening
-- or closing; `valid_to` is NULL for the span that still holds. Derived from the dated histories,
-- so a backfill in any order gives the same spans (fct_user_profile_spans joins them in).
-- A table, unlike most intermediate models (views on DuckDB): as a view, its uniqueness test
-- derived every user's spans again (3.6 s alone at 10 M events a day, 8 s in a busy build).
{{ config(materialized='table') }}
with users as (

    select * from {{ ref('int_users_attributed') }}

),

responses as (

    select * from {{ ref('stg_feedback__survey_responses') }}

),

ticket_spans as (

    select * from {{ ref('int_ticket_status_spans') }}

),

as_of as (

    {{ as_of_date() }}

),

nps_days as (

    select
        user_id,
        answered_date,
        score,
        row_number() over (
            partition by user_id, answered_date order by answered_at desc, response_id desc
        ) as day_rank
    from responses
    where survey_type = 'nps'

),

open_spans as (

    select * from ticket_spans
    where is_open

),

change_days as (

    select
        user_id,
        registered_date as change_date
    from users
    union
    select
        user_id,
        answered_date as change_date
    from nps_days
    union
    select
        user_id,
        valid_from as change_date
    from open_spans
    union
    select
        user_id,
        cast({{ dbt.dateadd('day', 1, 'valid_to') }} as date) as change_date
    from open_spans
    where valid_to is not null

),

points as (

    select
        change_days.user_id,
        change_days.change_date
    from change_days
    inner join users on change_days.user_id = users.user_id
    cross join as_of
    where change_days.change_date >= users.registered_date and change_days.change_date <= as_of.as_of_date

),

latest_nps as (

    select
        points.user_id,
        points.change_date,
        nps_days.score,
        row_number() over (
            partition by points.user_id, points.change_date order by nps_days.answered_date desc
        ) as answer_rank
    from points
    inner join nps_days
        on
            points.user_id = nps_days.user_id
            and points.change_date >= nps_days.answered_date
            and nps_days.day_rank = 1

),

open_counts as (

    select
        points.user_id,
        points.change_date,
        count(*) as open_tickets
    from points
    inner join open_spans
        on
            points.user_id = open_spans.user_id
            and points.change_date >= open_spans.valid_from
            and (open_spans.valid_to is null or points.change_date <= open_spans.valid_to)
    group by points.user_id, points.change_date

),

valued as (

    select
        points.user_id,
        points.change_date,
        latest_nps.score as latest_nps_score,
        coalesce(open_counts.open_tickets, 0) as open_tickets
    from points
    left join latest_nps
        on
            points.user_id = latest_nps.user_id
            and points.change_date = latest_nps.change_date
            and latest_nps.answer_rank = 1
    left join open_counts on points.user_id = open_counts.user_id and points.change_date = open_counts.change_date

),

-- consecutive change days with the same values are one span
islands as (

    select
        *,
        row_number() over (partition by user_id order by change_date)
        - row_number() over (
            partition by user_id, latest_nps_score, open_tickets order by change_date
        ) as island
    from valued

),

merged as (

    select
        user_id,
        latest_nps_score,
        open_tickets,
        min(change_date) as valid_from
    from islands
    group by user_id, island, latest_nps_score, open_tickets

),

final as (

    select
        user_id,
        latest_nps_score,
        open_tickets,
        valid_from,
        cast({{ dbt.dateadd('day', -1, 'lead(valid_from) over (partition by user_id order by valid_from)') }} as date)
            as valid_to
    from merged

)

select * from final
