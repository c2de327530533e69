-- The reporting days the loads since the last successful build may have changed (one row): from
-- the earliest day any of them touched (raw.load_log.earliest_day: the partition's day, or an
-- earlier day of a late event, a changed order or a restated delivery) to the newest day
-- delivered (a changed day moves the trailing numbers, MAU or retention, of every later day). The incremental models rebuild from `changed_from` (macro `changed_from`), whatever
-- order the days were loaded in; the marts gate checks these days. Both NULL when nothing was
-- loaded since the last build (opswh records each successful build in raw.dbt_builds).
with loads as (

    select * from {{ source('loader', 'load_log') }}
    where status = 'loaded'

),

builds as (

    select max(watermark) as watermark from {{ source('loader', 'dbt_builds') }}

),

changed as (

    select min(coalesce(loads.earliest_day, loads._dt)) as changed_from
    from loads
    cross join builds
    where loads.finished_at > coalesce(builds.watermark, cast('1900-01-01' as timestamp))

),

final as (

    select
        changed.changed_from,
        case when changed.changed_from is not null then (select max(loads._dt) from loads) end as changed_to
    from changed

)

select * from final
