{#- Data tests check the days a build changed, not the whole history (dbt's own `where` hook for
    generic tests, overridden here): a model that declares `meta: {day_column: <column>}` is tested
    on its rows from the first day the build rebuilt (the earliest day the loads since the last
    successful build changed, stg_loader__changes, or the newest day less `lookback_days`,
    whichever is earlier: the days its incremental run rewrote). A `--full-refresh` build, a test
    with a `where` of its own and a reconciliation with another relation (`sums_match`) test
    whole tables. Singular tests and models without
    a day column are tested whole, and so is everything while stg_loader__changes is not built
    (a build that selects only some models, on a new warehouse). -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ where ~ ') dbt_subquery') -%}
    {%- endif -%}
    {%- set found = namespace(day_column=none, changes=none) -%}
    {#- a reconciliation compares the model with another relation: both whole, or the sums differ -#}
    {%- set whole = model.get('test_metadata', {}).get('name') in ['sums_match'] -%}
    {%- if execute and not flags.FULL_REFRESH and not whole -%}
        {#- the model the test is attached to, and the loader's changes: looked up by id, not by a scan of
            the graph for every test (352 tests x 430 nodes cost a build about a second) -#}
        {%- set tested = graph.nodes.get(model.get('attached_node') or '') -%}
        {%- if tested and tested.relation_name == (relation | string) -%}
            {%- set found.day_column = tested.config.meta.get('day_column') -%}
        {%- endif -%}
        {%- set node = graph.nodes.get('model.' ~ project_name ~ '.stg_loader__changes') -%}
        {%- if found.day_column and node
            and adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias) -%}
            {%- set found.changes = node.relation_name -%}
        {%- endif -%}
    {%- endif -%}
    {%- set day_column, changes = found.day_column, found.changes -%}
    {%- if day_column is none or changes is none -%}
        {%- do return(relation) -%}
    {%- endif -%}
    {%- set floor -%}
        least(
            (select changed_from from {{ changes }}),
            (select {{ dbt.dateadd('day', -var('lookback_days'), 'max(' ~ day_column ~ ')') }} from {{ relation }})
        )
    {%- endset -%}
    {%- do return('(select * from ' ~ relation ~ ' where ' ~ day_column ~ ' >= ' ~ floor ~ ') dbt_subquery') -%}
{%- endmacro %}
