-- One row per feed and reporting day the loader tried: how often, and the reconciliation of the
-- partition's latest successful load (landed = loaded + rejected + deduplicated: nothing lost).
with loads as (

    select * from {{ source('loader', 'load_log') }}

),

feeds as (

    select * from {{ ref('dim_feeds') }}

),

attempts as (

    select
        feed,
        _dt,
        count(*) as load_attempts,
        count(case when status <> 'loaded' then 1 end) as failed_attempts,
        max(finished_at) as last_attempt_at
    from loads
    group by feed, _dt

),

ranked as (

    select
        *,
        row_number() over (
            partition by feed, _dt, status = 'loaded' order by finished_at desc, load_id desc
        ) as load_rank
    from loads

),

latest_loaded as (

    select * from ranked
    where status = 'loaded' and load_rank = 1

),

latest_failed as (

    select * from ranked
    where status <> 'loaded' and load_rank = 1

),

final as (

    select
        feeds.source_system,
        attempts.feed,
        attempts._dt as reporting_date,
        case when latest_loaded.load_id is null then 'failed' else 'loaded' end as status,
        attempts.load_attempts,
        attempts.failed_attempts,
        latest_loaded.landed as rows_landed,
        latest_loaded.loaded as rows_loaded,
        latest_loaded.rejected as rows_rejected,
        latest_loaded.deduplicated as rows_deduplicated,
        (
            latest_loaded.landed
            = latest_loaded.loaded + latest_loaded.rejected + latest_loaded.deduplicated
        ) as is_reconciled,
        latest_loaded.finished_at as loaded_at,
        latest_loaded.run_id as loaded_by_run_id,
        latest_failed.message as last_failure_message,
        latest_failed.finished_at as last_failure_at,
        attempts.last_attempt_at
    from attempts
    left join latest_loaded on attempts.feed = latest_loaded.feed and attempts._dt = latest_loaded._dt
    left join latest_failed on attempts.feed = latest_failed.feed and attempts._dt = latest_failed._dt
    left join feeds on attempts.feed = feeds.feed

)

select * from final
