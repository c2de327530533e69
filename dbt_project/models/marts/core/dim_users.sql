-- One row per real user, as of the newest activity day (snapshot_date): registration and
-- channel, current lifecycle state, order history, RFM scores and segment, value tier.
-- RFM: recency = days since the last paid order; frequency and monetary = paid orders and net
-- spend in the trailing `rfm_window_days`. Each is scored 1-5 with ntile(5) over buyers, user_id
-- breaking ties, 5 being most recent / most / highest. Users who never paid have no scores and
-- the segment `no_orders`; every user has exactly one segment. Value tier by the percentile of
-- lifetime net spend among buyers: top 10% high, next 40% medium, the rest low. Feedback: the
-- user's latest NPS answer on or before the snapshot day, and their tickets open at its end.
with users as (

    select * from {{ ref('int_users_attributed') }}

),

user_state_spans as (

    select * from {{ ref('int_user_state_spans') }}

),

orders as (

    select * from {{ ref('fct_orders') }}

),

activity as (

    select * from {{ ref('int_user_activity_daily') }}

),

responses as (

    select * from {{ ref('stg_feedback__survey_responses') }}

),

ticket_spans as (

    select * from {{ ref('int_ticket_status_spans') }}

),

as_of as (

    select max(activity_date) as snapshot_date from activity

),

latest_nps as (

    select
        responses.user_id,
        responses.score as latest_nps_score,
        responses.answered_date as latest_nps_date,
        row_number() over (
            partition by responses.user_id order by responses.answered_at desc, responses.response_id desc
        ) as answer_rank
    from responses
    inner join as_of on responses.answered_date <= as_of.snapshot_date
    where responses.survey_type = 'nps'

),

open_tickets as (

    select
        ticket_spans.user_id,
        count(*) as open_tickets
    from ticket_spans
    inner join as_of
        on
            ticket_spans.valid_from <= as_of.snapshot_date
            and (ticket_spans.valid_to is null or ticket_spans.valid_to >= as_of.snapshot_date)
    where ticket_spans.is_open
    group by ticket_spans.user_id

),

current_states as (

    select
        user_state_spans.user_id,
        user_state_spans.user_state
    from user_state_spans
    inner join as_of
        on
            user_state_spans.valid_from <= as_of.snapshot_date
            and (user_state_spans.valid_to is null or user_state_spans.valid_to >= as_of.snapshot_date)

),

order_history as (

    select
        orders.user_id,
        count(*) as orders,
        sum(orders.net_revenue) as net_spend,
        min(orders.paid_date) as first_order_date,
        max(orders.paid_date) as last_order_date,
        count(
            case
                when orders.paid_date > {{ dbt.dateadd('day', -var('rfm_window_days'), 'as_of.snapshot_date') }} then 1
            end
        ) as frequency,
        sum(
            case
                when orders.paid_date > {{ dbt.dateadd('day', -var('rfm_window_days'), 'as_of.snapshot_date') }}
                    then orders.net_revenue
                else 0
            end
        ) as monetary
    from orders
    cross join as_of
    where orders.is_paid and not orders.is_cancelled and orders.paid_date <= as_of.snapshot_date
    group by orders.user_id

),

scored as (

    select
        order_history.*,
        cast({{ dbt.datediff('order_history.last_order_date', 'as_of.snapshot_date', 'day') }} as bigint) as recency_days,
        cast(ntile(5) over (order by order_history.last_order_date asc, order_history.user_id asc) as bigint) as recency_score,
        cast(ntile(5) over (order by order_history.frequency asc, order_history.user_id asc) as bigint) as frequency_score,
        cast(ntile(5) over (order by order_history.monetary asc, order_history.user_id asc) as bigint) as monetary_score,
        percent_rank() over (order by order_history.net_spend asc, order_history.user_id asc) as net_spend_percentile
    from order_history
    cross join as_of

),

final as (

    select
        users.user_id,
        users.first_touch_channel as channel,
        users.platform,
        users.region,
        coalesce(current_states.user_state, 'new') as user_state,
        {{ rfm_segment('scored.user_id', 'scored.recency_score', 'scored.frequency_score', 'scored.monetary_score', 'scored.orders') }}
            as rfm_segment,
        case
            when scored.user_id is null then 'none'
            when scored.net_spend_percentile >= 0.9 then 'high'
            when scored.net_spend_percentile >= 0.5 then 'medium'
            else 'low'
        end as value_tier,
        coalesce(scored.orders, 0) as orders,
        cast(coalesce(scored.net_spend, 0) as decimal(18, 2)) as net_spend,
        scored.recency_days,
        coalesce(scored.frequency, 0) as frequency,
        cast(coalesce(scored.monetary, 0) as decimal(18, 2)) as monetary,
        scored.recency_score,
        scored.frequency_score,
        scored.monetary_score,
        users.registered_date,
        scored.first_order_date,
        scored.last_order_date,
        latest_nps.latest_nps_score,
        latest_nps.latest_nps_date,
        coalesce(open_tickets.open_tickets, 0) as open_tickets,
        as_of.snapshot_date
    from users
    cross join as_of
    left join current_states on users.user_id = current_states.user_id
    left join scored on users.user_id = scored.user_id
    left join latest_nps on users.user_id = latest_nps.user_id and latest_nps.answer_rank = 1
    left join open_tickets on users.user_id = open_tickets.user_id

)

select * from final
