-- Grain: KPI monitor (var `kpi_monitors`, from operations/monitors.yml) x dimension value ('all'
-- without a dimension) x reporting day, from the series' first day to the as-of day
-- (int_kpi_monitor_series): the value, what the rule expected, its bounds, and the status.
-- Recomputed from the marts' history by every build, so any load order gives the same checks.
-- Rules (docs/metrics.md, KPI monitors):
-- - seasonal: expected = median of the same weekday 7, 14, 21 and 28 days before (all four
--   needed); bounds = expected x (1 - max_drop) and x (1 + max_rise); score = relative change.
-- - robust_z: median and MAD of the `days` days before; score = (value - median) / (1.4826 MAD);
--   bounds = median -/+ threshold x 1.4826 MAD; `undefined` when MAD = 0.
-- - bound: fixed min / max.
-- status: insufficient_history (fewer days of history before the day than history_days: never an
-- alert), no_value, undefined, low_volume (expected below the rule's min_expected: too few to
-- tell a break from noise), ok or alert (the value outside a bound).
with definitions as (

    {{ kpi_monitor_definitions() }}

),

valued as (

    select * from {{ ref('int_kpi_monitor_series') }}

),

seasonal as (

    select
        day_value.monitor,
        day_value.dimension_value,
        day_value.date_day,
        median(baseline.value) as expected,
        count(baseline.value) as baseline_days
    from valued as day_value
    inner join definitions on day_value.monitor = definitions.monitor and definitions.rule_type = 'seasonal'
    inner join valued as baseline
        on
            day_value.monitor = baseline.monitor
            and day_value.dimension_value = baseline.dimension_value
            and {{ dbt.datediff('baseline.date_day', 'day_value.date_day', 'day') }} in (7, 14, 21, 28)
    group by day_value.monitor, day_value.dimension_value, day_value.date_day

),

z_medians as (

    select
        day_value.monitor,
        day_value.dimension_value,
        day_value.date_day,
        median(window_value.value) as expected
    from valued as day_value
    inner join definitions on day_value.monitor = definitions.monitor and definitions.rule_type = 'robust_z'
    inner join valued as window_value
        on
            day_value.monitor = window_value.monitor
            and day_value.dimension_value = window_value.dimension_value
            and day_value.date_day > window_value.date_day
            and {{ dbt.datediff('window_value.date_day', 'day_value.date_day', 'day') }} <= definitions.z_days
    group by day_value.monitor, day_value.dimension_value, day_value.date_day

),

z_scores as (

    select
        z_medians.monitor,
        z_medians.dimension_value,
        z_medians.date_day,
        z_medians.expected,
        1.4826 * median(abs(window_value.value - z_medians.expected)) as scaled_mad
    from z_medians
    inner join definitions on z_medians.monitor = definitions.monitor
    inner join valued as window_value
        on
            z_medians.monitor = window_value.monitor
            and z_medians.dimension_value = window_value.dimension_value
            and z_medians.date_day > window_value.date_day
            and {{ dbt.datediff('window_value.date_day', 'z_medians.date_day', 'day') }} <= definitions.z_days
    group by z_medians.monitor, z_medians.dimension_value, z_medians.date_day, z_medians.expected

),

bounded as (

    select
        valued.monitor,
        definitions.metric,
        definitions.dimension,
        valued.dimension_value,
        valued.date_day,
        valued.value,
        definitions.severity,
        definitions.rule_type,
        definitions.history_days,
        definitions.min_expected,
        {{ dbt.datediff('valued.first_day', 'valued.date_day', 'day') }} as history_available,
        seasonal.baseline_days,
        z_scores.scaled_mad,
        case definitions.rule_type
            when 'seasonal' then seasonal.expected
            when 'robust_z' then z_scores.expected
        end as expected,
        case definitions.rule_type
            when 'seasonal' then seasonal.expected * (1 - definitions.max_drop)
            when 'robust_z' then z_scores.expected - definitions.z_threshold * z_scores.scaled_mad
            else definitions.bound_min
        end as lower_bound,
        case definitions.rule_type
            when 'seasonal' then seasonal.expected * (1 + definitions.max_rise)
            when 'robust_z' then z_scores.expected + definitions.z_threshold * z_scores.scaled_mad
            else definitions.bound_max
        end as upper_bound,
        case definitions.rule_type
            when 'seasonal' then (valued.value - seasonal.expected) / nullif(seasonal.expected, 0)
            when 'robust_z' then (valued.value - z_scores.expected) / nullif(z_scores.scaled_mad, 0)
        end as score
    from valued
    inner join definitions on valued.monitor = definitions.monitor
    left join seasonal
        on
            valued.monitor = seasonal.monitor
            and valued.dimension_value = seasonal.dimension_value
            and valued.date_day = seasonal.date_day
    left join z_scores
        on
            valued.monitor = z_scores.monitor
            and valued.dimension_value = z_scores.dimension_value
            and valued.date_day = z_scores.date_day

),

final as (

    select
        monitor,
        metric,
        dimension,
        dimension_value,
        date_day,
        value,
        expected,
        lower_bound,
        upper_bound,
        score,
        severity,
        rule_type,
        case
            when history_available < history_days then 'insufficient_history'
            when value is null then 'no_value'
            when rule_type = 'seasonal' and (coalesce(baseline_days, 0) < 4 or expected = 0) then 'undefined'
            when rule_type = 'robust_z' and coalesce(scaled_mad, 0) = 0 then 'undefined'
            when expected < min_expected then 'low_volume'
            when value < lower_bound or value > upper_bound then 'alert'
            else 'ok'
        end as status
    from bounded

)

select * from final
