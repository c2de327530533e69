{#- Platform revenue as the deployment's business means it (var `revenue_model`, configuration
    `revenue_model`), from its streams:
    - marketplace: commission + transaction fees + advertising + value-added services + membership
      - refunded fees (the platform earns on others' sales);
    - retailer: net revenue of its own sales (GMV - discounts - refunds);
    - subscription: membership revenue.
    Pass the SQL of each stream (0 where a caller has none). -#}
{% macro platform_revenue(commission, transaction_fee, advertising, value_added_services, membership, fee_refunds, net_revenue) -%}
    {%- set model = var('revenue_model') -%}
    {%- if model == 'marketplace' -%}
        {{ commission }} + {{ transaction_fee }} + {{ advertising }} + {{ value_added_services }} + {{ membership }} - {{ fee_refunds }}
    {%- elif model == 'retailer' -%}
        {{ net_revenue }}
    {%- elif model == 'subscription' -%}
        {{ membership }}
    {%- else -%}
        {{ exceptions.raise_compiler_error("revenue_model must be marketplace, retailer or subscription, not " ~ model) }}
    {%- endif -%}
{%- endmacro %}
