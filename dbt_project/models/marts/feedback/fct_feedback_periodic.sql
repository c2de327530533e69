-- Grain: period (day, week from Monday, month) x period start x channel (first touch) x platform
-- (registration) x lifecycle state. NPS and CSAT from the survey answers of real users: a user
-- answering a survey type more than once in a period counts once, with their latest answer in it,
-- and in the lifecycle state they were in on the day of that answer (`unknown` for an answer
-- dated before the user's registration). The counts add up over
-- channels, platforms and states (a user is in one of each); NPS and CSAT do not, recompute them
-- from the counts.
with responses as (

    select * from {{ ref('stg_feedback__survey_responses') }}

),

users as (

    select * from {{ ref('int_users_attributed') }}

),

state_spans as (

    select * from {{ ref('int_user_state_spans') }}

),

periods as (

    select 'day' as period
    union all
    select 'week' as period
    union all
    select 'month' as period

),

answers as (

    select
        periods.period,
        case periods.period
            when 'day' then responses.answered_date
            when 'week' then cast({{ dbt.date_trunc('week', 'responses.answered_date') }} as date)
            else cast({{ dbt.date_trunc('month', 'responses.answered_date') }} as date)
        end as period_start,
        responses.user_id,
        responses.survey_type,
        responses.score,
        responses.nps_group,
        responses.answered_date,
        responses.answered_at,
        responses.response_id
    from responses
    cross join periods

),

latest as (

    select
        *,
        row_number() over (
            partition by period, period_start, user_id, survey_type order by answered_at desc, response_id desc
        ) as answer_rank
    from answers

),

placed as (

    select
        latest.period,
        latest.period_start,
        latest.survey_type,
        latest.score,
        latest.nps_group,
        users.first_touch_channel as channel,
        users.platform,
        coalesce(state_spans.user_state, 'unknown') as user_state
    from latest
    inner join users on latest.user_id = users.user_id
    left join state_spans
        on
            latest.user_id = state_spans.user_id
            and latest.answered_date >= state_spans.valid_from
            and (state_spans.valid_to is null or latest.answered_date <= state_spans.valid_to)
    where latest.answer_rank = 1

),

counted as (

    select
        period,
        period_start,
        channel,
        platform,
        user_state,
        count(case when survey_type = 'nps' then 1 end) as nps_respondents,
        count(case when nps_group = 'promoter' then 1 end) as promoters,
        count(case when nps_group = 'passive' then 1 end) as passives,
        count(case when nps_group = 'detractor' then 1 end) as detractors,
        count(case when survey_type = 'csat' then 1 end) as csat_ratings,
        count(case when survey_type = 'csat' and score >= 4 then 1 end) as csat_satisfied
    from placed
    group by period, period_start, channel, platform, user_state

),

final as (

    select
        period,
        period_start,
        channel,
        platform,
        user_state,
        nps_respondents,
        promoters,
        passives,
        detractors,
        case
            when nps_respondents > 0 then cast(promoters - detractors as double) * 100 / nps_respondents
        end as nps,
        csat_ratings,
        csat_satisfied,
        case when csat_ratings > 0 then cast(csat_satisfied as double) / csat_ratings end as csat
    from counted

)

select * from final
