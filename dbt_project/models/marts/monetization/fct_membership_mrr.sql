-- Grain: month (month_start). Monthly recurring revenue of memberships and its movements.
-- A member's MRR after a billing event is the amount normalised to one month (yearly / 12), 0
-- after a cancel; their MRR for a month is the one in force at its end. Between two months a
-- member's change is new (0 -> >0, never a member before), reactivated (0 -> >0, a member
-- before), expansion or contraction (>0 -> more or less), churned (>0 -> 0). The bridge
-- starting + new + expansion - contraction - churned + reactivated = ending holds every month.
with membership_events as (

    select * from {{ ref('stg_orders__membership_events') }}

),

users as (

    select * from {{ ref('int_users_attributed') }}

),

as_of as (

    {{ as_of_date() }}

),

events as (

    select
        membership_events.user_id,
        cast({{ dbt.date_trunc('month', 'membership_events.occurred_date') }} as date) as month_start,
        membership_events.monthly_amount,
        row_number() over (
            partition by
                membership_events.user_id, {{ dbt.date_trunc('month', 'membership_events.occurred_date') }}
            order by membership_events.occurred_at desc, membership_events.billing_event_id desc
        ) as recency_in_month
    from membership_events
    inner join users on membership_events.user_id = users.user_id

),

month_end_state as (

    select
        user_id,
        month_start,
        monthly_amount
    from events
    where recency_in_month = 1

),

user_months as (

    select
        first_months.user_id,
        {{ date_series('first_months.first_month', 'cast(' ~ (dbt.date_trunc('month', 'as_of.as_of_date')) ~ ' as date)', '1 month') }} as month_start
    from (
        select
            user_id,
            min(month_start) as first_month
        from month_end_state
        group by user_id
    ) as first_months
    cross join as_of

),

carried as (

    select
        user_months.user_id,
        user_months.month_start,
        coalesce(
            {{ last_non_null("month_end_state.monthly_amount") }} over (
                partition by user_months.user_id order by user_months.month_start
                rows between unbounded preceding and current row
            ),
            0
        ) as mrr
    from user_months
    left join month_end_state
        on user_months.user_id = month_end_state.user_id and user_months.month_start = month_end_state.month_start

),

movements as (

    select
        user_id,
        month_start,
        mrr,
        coalesce(lag(mrr) over (partition by user_id order by month_start), 0) as previous_mrr,
        coalesce(
            max(mrr) over (
                partition by user_id order by month_start rows between unbounded preceding and 1 preceding
            ),
            0
        ) > 0 as was_member_before
    from carried

),

final as (

    select
        month_start,
        cast(sum(previous_mrr) as decimal(18, 2)) as starting_mrr,
        cast(
            sum(case when previous_mrr = 0 and mrr > 0 and not was_member_before then mrr else 0 end) as decimal(18, 2)
        )
            as new_mrr,
        cast(
            sum(case when previous_mrr > 0 and mrr > previous_mrr then mrr - previous_mrr else 0 end) as decimal(18, 2)
        )
            as expansion_mrr,
        cast(sum(case when mrr > 0 and mrr < previous_mrr then previous_mrr - mrr else 0 end) as decimal(18, 2))
            as contraction_mrr,
        cast(sum(case when previous_mrr > 0 and mrr = 0 then previous_mrr else 0 end) as decimal(18, 2)) as churned_mrr,
        cast(sum(case when previous_mrr = 0 and mrr > 0 and was_member_before then mrr else 0 end) as decimal(18, 2))
            as reactivated_mrr,
        cast(sum(mrr) as decimal(18, 2)) as ending_mrr,
        count(case when mrr > 0 then 1 end) as members,
        count(case when previous_mrr = 0 and mrr > 0 and not was_member_before then 1 end) as new_members,
        count(case when previous_mrr > 0 and mrr = 0 then 1 end) as churned_members,
        count(case when previous_mrr = 0 and mrr > 0 and was_member_before then 1 end) as reactivated_members
    from movements
    group by month_start

)

select * from final
