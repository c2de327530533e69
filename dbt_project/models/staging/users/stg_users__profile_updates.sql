-- One row per profile change record (user_id, updated_at); a re-delivered record is kept once.
with source as (

    select * from {{ source('users', 'profile_updates') }}

),

ranked as (

    select
        *,
        row_number() over (partition by user_id, updated_at order by _dt desc, _file desc, _line desc) as copy_rank
    from source

),

final as (

    select
        user_id,
        nickname,
        region,
        is_test,
        {{ reporting_date('updated_at') }} as updated_date,
        updated_at
    from ranked
    where copy_rank = 1

)

select * from final
