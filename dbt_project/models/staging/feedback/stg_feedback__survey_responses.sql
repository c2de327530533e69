-- One row per survey answer: its latest delivery (a response re-sent later replaces the earlier
-- one), dated by the reporting day it was answered; NPS answers are grouped into promoters (9-10),
-- passives (7-8) and detractors (0-6).
with source as (

    select * from {{ source('feedback', 'survey_responses') }}

),

ranked as (

    select
        *,
        row_number() over (partition by response_id order by _dt desc, _file desc, _line desc) as version_rank
    from source

),

final as (

    select
        response_id,
        survey_id,
        user_id,
        survey_type,
        survey_channel,
        comment,
        case
            when survey_type != 'nps' then null
            when score >= 9 then 'promoter'
            when score >= 7 then 'passive'
            else 'detractor'
        end as nps_group,
        score,
        {{ reporting_date('answered_at') }} as answered_date,
        answered_at
    from ranked
    where version_rank = 1

)

select * from final
