-- Grain: campaign x metric (orders, gmv, platform_revenue per assigned user). The campaign's
-- effect with its uncertainty, for campaigns with a holdout group (others: has_holdout false and
-- NULL estimates; a pre/post difference is not an effect).
--
-- Y = the user's metric over the campaign window (its start to its end, or the as-of day), from
-- successful orders (paid, not cancelled) by placement day; X = the same over the equally long
-- period just before the start. Every assigned real user counts, buyer or not (intention to treat).
-- difference = mean(Y | treated) - mean(Y | holdout), with a 95% interval from Welch's t (unequal
-- variances; Welch-Satterthwaite degrees of freedom, macro t_quantile_975); relative lift =
-- difference / mean(Y | holdout), its interval by the delta method, NULL when the holdout mean is
-- 0. CUPED: theta = cov(Y, X) / var(X) over all assigned users, Y' = Y - theta x (X - mean(X)),
-- and the same difference, lift and interval on Y'. is_significant: the 95% interval of the
-- difference excludes 0.
with campaigns as (

    select * from {{ ref('stg_reference__campaigns') }}

),

assignments as (

    select * from {{ ref('stg_reference__campaign_assignments') }}

),

users as (

    select * from {{ ref('int_users_attributed') }}

),

orders as (

    select * from {{ ref('fct_orders') }}

),

as_of as (

    {{ as_of_date() }}

),

windows as (

    select
        campaigns.campaign_id,
        campaigns.start_date as window_start,
        least(campaigns.end_date, as_of.as_of_date) as window_end,
        cast({{ dbt.dateadd('day', '-(' ~ dbt.datediff('campaigns.start_date', 'least(campaigns.end_date, as_of.as_of_date)', 'day') ~ ' + 1)', 'campaigns.start_date') }} as date)
            as pre_start,
        cast({{ dbt.dateadd('day', -1, 'campaigns.start_date') }} as date) as pre_end,
        campaigns.end_date <= as_of.as_of_date as is_window_complete
    from campaigns
    cross join as_of
    where campaigns.start_date <= as_of.as_of_date

),

groups as (

    select
        assignments.campaign_id,
        assignments.user_id,
        assignments.is_holdout
    from assignments
    inner join users on assignments.user_id = users.user_id

),

user_metrics as (

    select
        groups.campaign_id,
        groups.user_id,
        groups.is_holdout,
        count(case when orders.placed_date >= windows.window_start then 1 end) as orders_y,
        count(case when orders.placed_date <= windows.pre_end then 1 end) as orders_x,
        coalesce(sum(case when orders.placed_date >= windows.window_start then orders.gmv end), 0) as gmv_y,
        coalesce(sum(case when orders.placed_date <= windows.pre_end then orders.gmv end), 0) as gmv_x,
        coalesce(sum(case when orders.placed_date >= windows.window_start then orders.platform_revenue end), 0)
            as platform_revenue_y,
        coalesce(sum(case when orders.placed_date <= windows.pre_end then orders.platform_revenue end), 0)
            as platform_revenue_x
    from groups
    inner join windows on groups.campaign_id = windows.campaign_id
    left join orders
        on
            groups.user_id = orders.user_id
            and orders.is_paid
            and not orders.is_cancelled
            and orders.placed_date between windows.pre_start and windows.window_end
    group by groups.campaign_id, groups.user_id, groups.is_holdout

),

metric_values as (

    select
        campaign_id,
        user_id,
        is_holdout,
        'orders' as metric,
        cast(orders_y as decimal(38, 2)) as y,
        cast(orders_x as decimal(38, 2)) as x
    from user_metrics
    union all
    select
        campaign_id,
        user_id,
        is_holdout,
        'gmv' as metric,
        cast(gmv_y as decimal(38, 2)) as y,
        cast(gmv_x as decimal(38, 2)) as x
    from user_metrics
    union all
    select
        campaign_id,
        user_id,
        is_holdout,
        'platform_revenue' as metric,
        cast(platform_revenue_y as decimal(38, 2)) as y,
        cast(platform_revenue_x as decimal(38, 2)) as x
    from user_metrics

),

-- Exact sums (decimals) per group, so that every statistic is the same whatever the order the
-- rows are read in (floating-point sums are not): means, variances and covariances follow from them.
group_sums as (

    select
        campaign_id,
        metric,
        is_holdout,
        count(*) as n,
        sum(y) as sy,
        sum(y * y) as syy,
        sum(x) as sx,
        sum(x * x) as sxx,
        sum(x * y) as sxy
    from metric_values
    group by campaign_id, metric, is_holdout

),

cuped as (

    select
        campaign_id,
        metric,
        cast(sum(n) * sum(sxy) - sum(sx) * sum(sy) as double)
        / nullif(cast(sum(n) * sum(sxx) - sum(sx) * sum(sx) as double), 0) as theta,
        cast(sum(sx) as double) / sum(n) as mean_x
    from group_sums
    group by campaign_id, metric

),

moments as (

    select
        group_sums.campaign_id,
        group_sums.metric,
        group_sums.is_holdout,
        group_sums.n,
        cast(group_sums.sy as double) / group_sums.n as mean_y,
        cast(group_sums.sx as double) / group_sums.n as mean_x,
        cast(group_sums.n * group_sums.syy - group_sums.sy * group_sums.sy as double)
        / nullif(group_sums.n * (group_sums.n - 1), 0) as var_y,
        cast(group_sums.n * group_sums.sxx - group_sums.sx * group_sums.sx as double)
        / nullif(group_sums.n * (group_sums.n - 1), 0) as var_x,
        cast(group_sums.n * group_sums.sxy - group_sums.sx * group_sums.sy as double)
        / nullif(group_sums.n * (group_sums.n - 1), 0) as cov_xy,
        coalesce(cuped.theta, 0) as theta,
        cuped.mean_x as mean_x_all
    from group_sums
    inner join cuped on group_sums.campaign_id = cuped.campaign_id and group_sums.metric = cuped.metric

),

group_stats as (

    select
        campaign_id,
        metric,
        cast(coalesce(sum(case when not is_holdout then n end), 0) as bigint) as n_t,
        cast(coalesce(sum(case when is_holdout then n end), 0) as bigint) as n_h,
        max(case when not is_holdout then mean_y end) as mean_t,
        max(case when is_holdout then mean_y end) as mean_h,
        max(case when not is_holdout then var_y end) as var_t,
        max(case when is_holdout then var_y end) as var_h,
        -- CUPED: Y' = Y - theta x (X - mean(X)), its mean and variance from the same sums
        max(case when not is_holdout then mean_y - theta * (mean_x - mean_x_all) end) as mean_t_cuped,
        max(case when is_holdout then mean_y - theta * (mean_x - mean_x_all) end) as mean_h_cuped,
        max(case when not is_holdout then greatest(var_y + theta * theta * var_x - 2 * theta * cov_xy, 0) end)
            as var_t_cuped,
        max(case when is_holdout then greatest(var_y + theta * theta * var_x - 2 * theta * cov_xy, 0) end)
            as var_h_cuped
    from moments
    group by campaign_id, metric

),

estimated as (

    select
        campaign_id,
        metric,
        mean_t - mean_h as difference,
        sqrt(var_t / n_t + var_h / n_h) as se,
        power(var_t / n_t + var_h / n_h, 2)
        / nullif(power(var_t / n_t, 2) / (n_t - 1) + power(var_h / n_h, 2) / (n_h - 1), 0) as df,
        case when mean_h != 0 then (mean_t - mean_h) / mean_h end as lift,
        case
            when mean_h != 0
                then sqrt(var_t / n_t / power(mean_h, 2) + power(mean_t, 2) * var_h / n_h / power(mean_h, 4))
        end as lift_se,
        mean_t_cuped - mean_h_cuped as difference_cuped,
        sqrt(var_t_cuped / n_t + var_h_cuped / n_h) as se_cuped,
        power(var_t_cuped / n_t + var_h_cuped / n_h, 2)
        / nullif(power(var_t_cuped / n_t, 2) / (n_t - 1) + power(var_h_cuped / n_h, 2) / (n_h - 1), 0) as df_cuped,
        case when mean_h_cuped != 0 then (mean_t_cuped - mean_h_cuped) / mean_h_cuped end as lift_cuped,
        case
            when mean_h_cuped != 0
                then sqrt(var_t_cuped / n_t / power(mean_h_cuped, 2) + power(mean_t_cuped, 2) * var_h_cuped / n_h / power(mean_h_cuped, 4))
        end as lift_se_cuped
    from group_stats
    where n_t >= 2 and n_h >= 2

),

metrics as (

    select 'orders' as metric
    union all
    select 'gmv' as metric
    union all
    select 'platform_revenue' as metric

),

final as (

    select
        windows.campaign_id,
        metrics.metric,
        coalesce(group_stats.n_h > 0, false) as has_holdout,
        coalesce(group_stats.n_t, 0) as treated_users,
        coalesce(group_stats.n_h, 0) as holdout_users,
        case when group_stats.n_h > 0 then group_stats.mean_t end as treated_mean,
        group_stats.mean_h as holdout_mean,
        estimated.difference,
        estimated.difference - {{ t_quantile_975('estimated.df') }} * estimated.se as difference_ci_low,
        estimated.difference + {{ t_quantile_975('estimated.df') }} * estimated.se as difference_ci_high,
        estimated.lift,
        estimated.lift - {{ t_quantile_975('estimated.df') }} * estimated.lift_se as lift_ci_low,
        estimated.lift + {{ t_quantile_975('estimated.df') }} * estimated.lift_se as lift_ci_high,
        abs(estimated.difference) > {{ t_quantile_975('estimated.df') }} * estimated.se as is_significant,
        estimated.difference_cuped,
        estimated.difference_cuped - {{ t_quantile_975('estimated.df_cuped') }} * estimated.se_cuped as difference_cuped_ci_low,
        estimated.difference_cuped + {{ t_quantile_975('estimated.df_cuped') }} * estimated.se_cuped as difference_cuped_ci_high,
        estimated.lift_cuped,
        estimated.lift_cuped - {{ t_quantile_975('estimated.df_cuped') }} * estimated.lift_se_cuped as lift_cuped_ci_low,
        estimated.lift_cuped + {{ t_quantile_975('estimated.df_cuped') }} * estimated.lift_se_cuped as lift_cuped_ci_high,
        abs(estimated.difference_cuped) > {{ t_quantile_975('estimated.df_cuped') }} * estimated.se_cuped as is_significant_cuped,
        case when group_stats.n_h > 0 then cuped.theta end as cuped_theta,
        windows.window_start,
        windows.window_end,
        windows.pre_start,
        windows.pre_end,
        windows.is_window_complete
    from windows
    cross join metrics
    left join group_stats on windows.campaign_id = group_stats.campaign_id and metrics.metric = group_stats.metric
    left join estimated on windows.campaign_id = estimated.campaign_id and metrics.metric = estimated.metric
    left join cuped on windows.campaign_id = cuped.campaign_id and metrics.metric = cuped.metric

)

select * from final
