{#- The warehouse's as-of date: the newest reporting day it has a delivery of (stg_loader__deliveries;
    an empty delivery counts, so a quiet last day is still reported), where every open period (a
    cohort's last cell, the current month, a user's recency) ends. One row, `as_of_date`. -#}
{% macro as_of_date() -%}
    select max(delivered_date) as as_of_date from {{ ref('stg_loader__deliveries') }}
{%- endmacro %}
