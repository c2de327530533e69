{#- The named RFM segment of a scored buyer (scores 1-5, 5 = most recent / most / highest), or
    `no_orders` when the user has no score; dim_users and fct_rfm_weekly share it. -#}
{% macro rfm_segment(user_id, recency_score, frequency_score, monetary_score, orders) -%}
    case
        when {{ user_id }} is null then 'no_orders'
        when {{ recency_score }} >= 4 and {{ frequency_score }} >= 4 and {{ monetary_score }} >= 4
            then 'champions'
        when {{ recency_score }} >= 3 and {{ frequency_score }} >= 4 then 'loyal'
        when {{ recency_score }} >= 4 and {{ orders }} = 1 then 'new_customers'
        when {{ recency_score }} <= 2 and {{ frequency_score }} >= 3 then 'at_risk'
        when {{ recency_score }} <= 2 then 'hibernating'
        else 'needs_attention'
    end
{%- endmacro %}
