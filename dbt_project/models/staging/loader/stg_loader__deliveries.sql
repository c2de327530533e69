-- One row per feed and reporting day delivered: the latest successful load of the partition.
with source as (

    select * from {{ source('loader', 'load_log') }}

),

ranked as (

    select
        *,
        row_number() over (partition by feed, _dt order by finished_at desc, load_id desc) as load_rank
    from source
    where status = 'loaded'

),

final as (

    select
        feed,
        _dt as delivered_date,
        landed as rows_landed,
        loaded as rows_loaded,
        rejected as rows_rejected,
        finished_at as loaded_at
    from ranked
    where load_rank = 1

)

select * from final
