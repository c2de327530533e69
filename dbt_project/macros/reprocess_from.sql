{#- The first reporting day an incremental run of a daily mart rebuilds: the newest day it holds
    less `lookback_days` (late events, restated spend) and `window_days` (how long a row's
    numbers keep moving, e.g. 30 for D30 revenue), or earlier when the past rows of some users
    must change: accounts found since to be test accounts (a profile update) and, with
    `user_orders=true` for marts that attach an order's later changes to the order's cohort,
    users whose orders changed or were refunded since. The run then rebuilds from the earliest
    registration day among those users. With `changed_orders=true`, for marts that count an
    order on the day it was placed, it also rebuilds from the earliest placement day of the
    orders that changed since (a late payment or cancellation). A model calling it declares the
    staging models it reads with a `-- depends_on:` comment. While the mart holds no rows (a
    history whose first builds had no orders), it rebuilds everything. -#}
{% macro reprocess_from(window_days=0, user_orders=false, changed_orders=false) -%}
    {%- set since -%}
        (select {{ dbt.dateadd('day', -var('lookback_days'), 'max(date_day)') }} from {{ this }})
    {%- endset -%}
    coalesce(least(
        (select {{ dbt.dateadd('day', -(var('lookback_days') + window_days), 'max(date_day)') }} from {{ this }}),
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
            (select max(date_day) from {{ this }})
        )
        {%- if changed_orders %},
            coalesce(
                (
                    select min(orders.placed_date)
                    from {{ ref('stg_orders__orders') }} as orders
                    where {{ reporting_date('orders.updated_at') }} >= {{ since }}
                ),
                (select max(date_day) from {{ this }})
            )
        {%- endif %}
    ), cast('1900-01-01' as date))
{%- endmacro %}
