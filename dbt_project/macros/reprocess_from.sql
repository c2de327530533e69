{#- The first reporting day an incremental run of a daily mart rebuilds: the newest day it holds
    less `lookback_days` (late events, restated spend) and `window_days` (how long a row's
    numbers keep moving, e.g. 30 for D30 revenue), or earlier when an account registered before
    then has since been found to be a test account (a profile update), since its past rows must
    leave every mart. A model calling it declares its dependence on the two staging models with
    a `-- depends_on:` comment. -#}
{% macro reprocess_from(window_days=0) -%}
    least(
        (select {{ dbt.dateadd('day', -(var('lookback_days') + window_days), 'max(date_day)') }} from {{ this }}),
        coalesce(
            (
                select min(registrations.registered_date)
                from {{ ref('stg_users__profile_updates') }} as profile_updates
                inner join {{ ref('stg_users__registrations') }} as registrations
                    on profile_updates.user_id = registrations.user_id
                where
                    profile_updates.is_test
                    and profile_updates.updated_date
                    >= (select {{ dbt.dateadd('day', -var('lookback_days'), 'max(date_day)') }} from {{ this }})
            ),
            (select max(date_day) from {{ this }})
        )
    )
{%- endmacro %}
