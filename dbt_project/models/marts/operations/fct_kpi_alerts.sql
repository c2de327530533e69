-- Grain: KPI monitor x dimension value x reporting day on which the monitor's rule broke
-- (fct_kpi_monitor_checks with status alert): what the run's notifications send after publish.
with checks as (

    select * from {{ ref('fct_kpi_monitor_checks') }}

),

final as (

    select
        monitor,
        date_day,
        metric,
        dimension,
        dimension_value,
        value,
        expected,
        lower_bound,
        upper_bound,
        score,
        severity,
        rule_type
    from checks
    where status = 'alert'

)

select * from final
