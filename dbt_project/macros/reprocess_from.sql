{#- The first day the loads since the last successful build may have changed
    (stg_loader__changes); NULL when nothing was loaded since. A model calling it declares
    `-- depends_on: {{ ref('stg_loader__changes') }}`. -#}
{% macro changed_from() -%}
    (select changes.changed_from from {{ ref('stg_loader__changes') }} as changes)
{%- endmacro %}

{#- The first day an incremental run of a daily model rebuilds, by its date column: the earliest
    day whose inputs changed since the last build (`changed_from`, whatever order days were loaded
    in), with the newest day it holds less `lookback_days` and `window_days` as a floor; everything
    while it holds no rows (a history whose first builds had no orders). -#}
{% macro incremental_floor(date_column='date_day', window_days=0) -%}
    {%- set floor -%}
    case
        when (select max({{ date_column }}) from {{ this }}) is null then cast('1900-01-01' as date)
        else least(
            (select {{ dbt.dateadd('day', -(var('lookback_days') + window_days), 'max(' ~ date_column ~ ')') }} from {{ this }}),
            {{ changed_from() }}
        )
    end
    {%- endset -%}
    {{ day_literal(floor) }}
{%- endmacro %}

{#- The first reporting day an incremental run of a daily mart rebuilds: its `incremental_floor`
    (`window_days` is how long a row's numbers keep moving, e.g. 30 for D30 revenue), or earlier
    when the past rows of some users must change: accounts found since to be test accounts (a
    profile update) and, with `user_orders=true` for marts that attach an order's later changes
    to the order's cohort, users whose orders changed or were refunded since. The run then
    rebuilds from the earliest registration day among those users. With `changed_orders=true`,
    for marts that count an order on the day it was placed, it also rebuilds from the earliest
    placement day of the orders that changed since (a late payment or cancellation). "Since" is
    the `incremental_floor` without the window. A model calling it declares the staging models it
    reads, and stg_loader__changes, with `-- depends_on:` comments. -#}
{% macro reprocess_from(window_days=0, user_orders=false, changed_orders=false) -%}
    {%- set since = incremental_floor() -%}
    {%- set floor -%}
    least(
        {{ incremental_floor(window_days=window_days) }},
        coalesce(
            (
                select min(registrations.registered_date)
                from {{ ref('stg_users__registrations') }} as registrations
                where registrations.user_id in (
                    select profile_updates.user_id
                    from {{ ref('stg_users__profile_updates') }} as profile_updates
                    where profile_updates.is_test and profile_updates.updated_date >= {{ since }}
                    {%- if user_orders %}
                        union
                        select orders.user_id
                        from {{ ref('stg_orders__orders') }} as orders
                        where {{ reporting_date('orders.updated_at') }} >= {{ since }}
                        union
                        select orders.user_id
                        from {{ ref('stg_orders__refunds') }} as refunds
                        inner join {{ ref('stg_orders__orders') }} as orders on refunds.order_id = orders.order_id
                        where refunds.refunded_date >= {{ since }}
                    {%- endif %}
                )
            ),
            cast('9999-12-31' as date)
        )
        {%- if changed_orders %},
            coalesce(
                (
                    select min(orders.placed_date)
                    from {{ ref('stg_orders__orders') }} as orders
                    where {{ reporting_date('orders.updated_at') }} >= {{ since }}
                ),
                cast('9999-12-31' as date)
            )
        {%- endif %}
    )
    {%- endset -%}
    {{ day_literal(floor) }}
{%- endmacro %}

{#- A day expression of an incremental run, evaluated once when the model runs and written into its
    SQL as a date literal: a filter on a constant lets DuckDB skip the row groups of earlier days (a
    filter on a subquery scans the whole table). In a unit test (whose `this` and inputs are
    fixtures) and at parse time, the expression itself. -#}
{% macro day_literal(expression) -%}
    {%- if execute and model.resource_type == 'model' and is_incremental() -%}
        {%- set value = run_query('select ' ~ expression).columns[0].values()[0] -%}
        {%- if value is none -%}cast(null as date){%- else -%}cast('{{ value }}' as date){%- endif -%}
    {%- else -%}
        {{ expression }}
    {%- endif -%}
{%- endmacro %}
