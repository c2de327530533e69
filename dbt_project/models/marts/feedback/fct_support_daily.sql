-- Grain: reporting day, from the first day with a ticket of a real user to the as-of day. Tickets
-- created, per 1,000 DAU, the backlog (tickets open at the end of the day), and over the tickets
-- resolved that day (a ticket resolved twice in a day counts once, with its last resolution):
-- first-response and resolution time from the ticket's creation, median and p90, in hours (from the
-- exact instants, to the microsecond); the reopen rate (reopens / tickets resolved) and
-- satisfaction (CSAT of the day's resolution ratings).
with changes as (

    select * from {{ ref('stg_feedback__ticket_changes') }}

),

users as (

    select * from {{ ref('int_users_attributed') }}

),

spans as (

    select * from {{ ref('int_ticket_status_spans') }}

),

active_users as (

    select * from {{ ref('fct_active_users_daily') }}

),

as_of as (

    {{ as_of_date() }}

),

real_changes as (

    select changes.*
    from changes
    inner join users on changes.user_id = users.user_id

),

tickets as (

    select
        ticket_id,
        min(created_date) as created_date,
        min(case when status = 'first_response' then changed_at end) as first_response_at
    from real_changes
    group by ticket_id

),

days as (

    select {{ date_series('min(tickets.created_date)', 'max(as_of.as_of_date)', '1 day') }} as date_day
    from tickets
    cross join as_of

),

created as (

    select
        created_date as date_day,
        count(*) as tickets_created
    from tickets
    group by created_date

),

resolutions as (

    select
        real_changes.ticket_id,
        real_changes.changed_date as date_day,
        real_changes.created_at,
        real_changes.changed_at,
        row_number() over (
            partition by real_changes.ticket_id, real_changes.changed_date order by real_changes.changed_at desc
        ) as resolution_rank
    from real_changes
    where real_changes.status = 'resolved'

),

resolved as (

    select
        resolutions.date_day,
        count(*) as tickets_resolved,
        {{ median(hours_between('resolutions.created_at', 'tickets.first_response_at')) }}
            as first_response_hours_median,
        {{ percentile(hours_between('resolutions.created_at', 'tickets.first_response_at'), 0.9) }}
            as first_response_hours_p90,
        {{ median(hours_between('resolutions.created_at', 'resolutions.changed_at')) }}
            as resolution_hours_median,
        {{ percentile(hours_between('resolutions.created_at', 'resolutions.changed_at'), 0.9) }}
            as resolution_hours_p90
    from resolutions
    inner join tickets on resolutions.ticket_id = tickets.ticket_id
    where resolutions.resolution_rank = 1
    group by resolutions.date_day

),

day_changes as (

    select
        changed_date as date_day,
        count(case when status = 'reopened' then 1 end) as tickets_reopened,
        count(case when status = 'resolved' and satisfaction is not null then 1 end) as satisfaction_ratings,
        count(case when status = 'resolved' and satisfaction >= 4 then 1 end) as satisfied_ratings
    from real_changes
    group by changed_date

),

backlog as (

    select
        days.date_day,
        count(spans.ticket_id) as backlog
    from days
    inner join spans
        on
            spans.is_open
            and days.date_day >= spans.valid_from
            and (spans.valid_to is null or days.date_day <= spans.valid_to)
    group by days.date_day

),

final as (

    select
        days.date_day,
        coalesce(created.tickets_created, 0) as tickets_created,
        active_users.dau,
        case
            when active_users.dau > 0 then cast(coalesce(created.tickets_created, 0) as double) * 1000 / active_users.dau
        end as tickets_per_1000_dau,
        coalesce(backlog.backlog, 0) as backlog,
        coalesce(resolved.tickets_resolved, 0) as tickets_resolved,
        resolved.first_response_hours_median,
        resolved.first_response_hours_p90,
        resolved.resolution_hours_median,
        resolved.resolution_hours_p90,
        coalesce(day_changes.tickets_reopened, 0) as tickets_reopened,
        case
            when resolved.tickets_resolved > 0 then cast(coalesce(day_changes.tickets_reopened, 0) as double) / resolved.tickets_resolved
        end as reopen_rate,
        coalesce(day_changes.satisfaction_ratings, 0) as satisfaction_ratings,
        coalesce(day_changes.satisfied_ratings, 0) as satisfied_ratings,
        case
            when day_changes.satisfaction_ratings > 0 then cast(day_changes.satisfied_ratings as double) / day_changes.satisfaction_ratings
        end as satisfaction
    from days
    left join created on days.date_day = created.date_day
    left join active_users on days.date_day = active_users.date_day and active_users.platform = 'all'
    left join backlog on days.date_day = backlog.date_day
    left join resolved on days.date_day = resolved.date_day
    left join day_changes on days.date_day = day_changes.date_day

)

select * from final
