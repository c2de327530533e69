-- One row per operations campaign: the full snapshot of the latest delivery wins.
with source as (

    select * from {{ source('reference', 'campaigns') }}

),

ranked as (

    select
        *,
        row_number() over (partition by campaign_id order by _dt desc, _file desc, _line desc) as version_rank
    from source

),

final as (

    select
        campaign_id,
        campaign_name,
        campaign_type,
        eligibility,
        budget,
        holdout_share,
        reward_cost,
        points_unit_cost,
        holdout_share > 0 as has_holdout,
        start_date,
        end_date
    from ranked
    where version_rank = 1

)

select * from final
