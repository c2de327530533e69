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
        "{% if is_incremental() %}{{ delete_days_from(this, '" ~ date_column
        ~ "', rebuild_floor(" ~ tojson(args) ~ ")) }}{% endif %}"
    ) }}
{%- endmacro %}

{#- The statement that deletes a daily model's rows of `date_column` >= `floor` (a SQL expression). -#}
{% macro delete_days_from(relation, date_column, floor) -%}
    {{ return(adapter.dispatch('delete_days_from', 'opswh')(relation, date_column, floor)) }}
{%- endmacro %}

{% macro default__delete_days_from(relation, date_column, floor) -%}
    delete from {{ relation }} where {{ date_column }} >= {{ floor }}
{%- endmacro %}

{#- Spark's Parquet tables have no DELETE: the model is partitioned by its day (incremental_by_day),
    so the days from the floor on are partitions to drop. -#}
{% macro spark__delete_days_from(relation, date_column, floor) -%}
    {%- set first = run_query('select cast(' ~ floor ~ ' as string)').columns[0].values()[0] -%}
    {%- set days = [] -%}
    {%- for row in run_query('show partitions ' ~ relation) -%}
        {%- set day = row[0].split('=', 1)[1] -%}
        {%- if first is not none and day >= first -%}{%- do days.append(day) -%}{%- endif -%}
    {%- endfor -%}
    {%- if days -%}
        alter table {{ relation }} drop if exists
        {%- for day in days %} partition ({{ date_column }} = date'{{ day }}'){{ ',' if not loop.last }}{% endfor %}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

{#- The config of a model incremental by day (`date_column`): each run replaces whole days. DuckDB
    deletes the days the new rows have and inserts them; Spark overwrites those days' partitions. -#}
{% macro incremental_by_day(date_column) -%}
    {{ return(adapter.dispatch('incremental_by_day', 'opswh')(date_column)) }}
{%- endmacro %}

{% macro default__incremental_by_day(date_column) -%}
    {{ return({'incremental_strategy': 'delete+insert', 'unique_key': date_column}) }}
{%- endmacro %}

{% macro spark__incremental_by_day(date_column) -%}
    {{ return({'incremental_strategy': 'insert_overwrite', 'partition_by': [date_column], 'file_format': 'parquet'}) }}
{%- endmacro %}
