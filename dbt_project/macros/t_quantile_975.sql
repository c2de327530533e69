{#- The 97.5% quantile of Student's t with `df` degrees of freedom (the 95% two-sided interval's
    multiplier), by the Cornish-Fisher expansion around the normal quantile 1.959964: within 0.1%
    of the exact value for df >= 4, within 1% for df >= 2 (DuckDB has no t distribution). NULL for
    df < 1. -#}
{% macro t_quantile_975(df) -%}
    case
        when {{ df }} >= 1
            then 1.959963984540054e0
            + 2.372271230298562e0 / ({{ df }})
            + 2.8224986157396112e0 / power({{ df }}, 2)
            + 2.555849679507722e0 / power({{ df }}, 3)
            + 1.5895340533938225e0 / power({{ df }}, 4)
    end
{%- endmacro %}
