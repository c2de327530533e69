-- Each month's starting MRR is the previous month's ending MRR (0 before the first month).
with months as (

    select * from {{ ref('fct_membership_mrr') }}

)

select
    months.month_start,
    months.starting_mrr,
    previous_month.ending_mrr as previous_ending_mrr
from months
left join months as previous_month
    on previous_month.month_start = {{ dbt.dateadd('month', -1, 'months.month_start') }}
where months.starting_mrr != coalesce(previous_month.ending_mrr, 0)
