-- Daily ad stats per channel, account and campaign. A platform may restate a day in a later
-- delivery: the latest delivery wins. stat_date is already the channel's own day (its native
-- timezone) and is not shifted again. Spend is converted to the reporting currency.
with source as (

    select * from {{ source('channels', 'ad_spend') }}

),

fx as (

    select * from {{ ref('stg_mappings__fx_rates') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by stat_date, channel, account_id, campaign_id
            order by _dt desc, _file desc, _line desc
        ) as version_rank
    from source

),

final as (

    select
        ranked.channel,
        ranked.account_id,
        ranked.campaign_id,
        ranked.currency as source_currency,
        ranked.spend as spend_source_currency,
        {{ to_reporting_currency('ranked.spend') }} as spend,
        ranked.impressions,
        ranked.clicks,
        ranked.conversions as platform_conversions,
        ranked.stat_date as date_day,
        ranked._dt as delivered_date
    from ranked
    left join fx on {{ fx_rate_in_force('ranked.currency', 'ranked.stat_date') }}
    where ranked.version_rank = 1

)

select * from final
