-- Grain: week (from Monday) x ticket category, for every category with a ticket of a real user in
-- the week or the week before: tickets created, the week before's, their growth, the category's
-- share of the week's tickets and its rank (1 = most tickets; ties by category). The week of the
-- as-of day is still running (`is_complete_week` false).
with changes as (

    select * from {{ ref('stg_feedback__ticket_changes') }}

),

users as (

    select * from {{ ref('int_users_attributed') }}

),

as_of as (

    {{ as_of_date() }}

),

tickets as (

    select
        changes.ticket_id,
        min(changes.created_date) as created_date,
        min(changes.category) as category
    from changes
    inner join users on changes.user_id = users.user_id
    group by changes.ticket_id

),

weekly as (

    select
        cast({{ dbt.date_trunc('week', 'created_date') }} as date) as week_start,
        category,
        count(*) as tickets_created
    from tickets
    group by cast({{ dbt.date_trunc('week', 'created_date') }} as date), category

),

keys as (

    select
        week_start,
        category
    from weekly
    union
    select
        cast({{ dbt.dateadd('day', 7, 'weekly.week_start') }} as date) as week_start,
        weekly.category
    from weekly
    cross join as_of
    where {{ dbt.dateadd('day', 7, 'weekly.week_start') }} <= as_of.as_of_date

),

joined as (

    select
        keys.week_start,
        keys.category,
        coalesce(this_week.tickets_created, 0) as tickets_created,
        coalesce(last_week.tickets_created, 0) as previous_week_tickets
    from keys
    left join weekly as this_week
        on keys.week_start = this_week.week_start and keys.category = this_week.category
    left join weekly as last_week
        on
            keys.week_start = cast({{ dbt.dateadd('day', 7, 'last_week.week_start') }} as date)
            and keys.category = last_week.category

),

final as (

    select
        joined.week_start,
        joined.category,
        joined.tickets_created,
        joined.previous_week_tickets,
        case
            when joined.previous_week_tickets > 0
                then cast(joined.tickets_created - joined.previous_week_tickets as double) / joined.previous_week_tickets
        end as growth,
        case
            when sum(joined.tickets_created) over (partition by joined.week_start) > 0
                then cast(joined.tickets_created as double) / sum(joined.tickets_created) over (partition by joined.week_start)
        end as share_of_tickets,
        cast(row_number() over (partition by joined.week_start order by joined.tickets_created desc, joined.category asc) as bigint)
            as category_rank,
        {{ dbt.dateadd('day', 6, 'joined.week_start') }} <= as_of.as_of_date as is_complete_week
    from joined
    cross join as_of

)

select * from final
