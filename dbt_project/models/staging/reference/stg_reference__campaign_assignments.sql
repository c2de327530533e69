-- One row per campaign and eligible user: treatment or holdout.
with source as (

    select * from {{ source('reference', 'campaign_assignments') }}

),

ranked as (

    select
        *,
        row_number() over (partition by campaign_id, user_id order by _dt desc, _file desc, _line desc) as copy_rank
    from source

),

final as (

    select
        campaign_id,
        user_id,
        assignment_group,
        assignment_group = 'holdout' as is_holdout,
        assigned_at
    from ranked
    where copy_rank = 1

)

select * from final
