{#- The first day an incremental daily model rebuilds, from the model's rebuild settings `args`:
    {by: reprocess, window_days, user_orders, changed_orders} for macro reprocess_from, else
    {date_column, window_days} for incremental_floor. -#}
{% macro rebuild_floor(args) -%}
    {%- if args.get('by') == 'reprocess' -%}
        {{ reprocess_from(
            window_days=args.get('window_days', 0),
            user_orders=args.get('user_orders', false),
            changed_orders=args.get('changed_orders', false)
        ) }}
    {%- else -%}
        {{ incremental_floor(args.get('date_column', 'date_day'), args.get('window_days', 0)) }}
    {%- endif -%}
{%- endmacro %}

{#- A pre-hook for an incremental daily model built with delete+insert: before the new rows go in,
    delete every row from the first day the run rebuilds (`rebuild_floor(args)`, the day the model's
    own filter uses). delete+insert alone replaces only the days the new rows have, and would keep
    the old rows of a day that no longer has any (a registration day whose only user turned out to
    belong to another day). Hooks are rendered when the model runs, before anything changes, so the
    floor here is the one the model's SQL was compiled with. -#}
{% macro delete_from_floor(date_column, args) -%}
    {{ return(
        "{% if is_incremental() %}delete from {{ this }} where " ~ date_column
        ~ " >= {{ rebuild_floor(" ~ tojson(args) ~ ") }}{% endif %}"
    ) }}
{%- endmacro %}
