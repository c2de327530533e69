-- Rates into the reporting currency, as intervals [valid_from, valid_to): the reporting currency's
-- units per USD over the currency's, each at the rate in force at the interval's start. A new
-- interval starts whenever either rate changes.
with source as (

    select * from {{ source('mappings', 'fx_rates') }}

),

rates as (

    select
        currency,
        valid_from,
        units_per_usd
    from source

),

reporting as (

    select
        valid_from,
        units_per_usd
    from rates
    where currency = '{{ var("reporting_currency") }}'

),

change_points as (

    select
        currency,
        valid_from
    from rates
    union
    select
        currencies.currency,
        reporting.valid_from
    from (select distinct currency from rates) as currencies
    cross join reporting

),

in_force as (

    select
        change_points.currency,
        change_points.valid_from,
        own.units_per_usd as own_units,
        reporting.units_per_usd as reporting_units,
        row_number() over (
            partition by change_points.currency, change_points.valid_from
            order by own.valid_from desc, reporting.valid_from desc
        ) as latest
    from change_points
    inner join rates as own
        on change_points.currency = own.currency and change_points.valid_from >= own.valid_from
    inner join reporting on change_points.valid_from >= reporting.valid_from

),

final as (

    select
        currency,
        {{ to_decimal('cast(reporting_units as double) / own_units', 38, 12) }} as rate_to_reporting,
        valid_from,
        lead(valid_from) over (partition by currency order by valid_from) as valid_to
    from in_force
    where latest = 1

)

select * from final
