-- Grain: audience (var `audiences`, from operations/audiences.yml): its definition and its members
-- on the as-of day.
{%- set audiences = var('audiences') %}
with members as (

    select * from {{ ref('fct_audience_members') }}

),

as_of as (

    {{ as_of_date() }}

),

definitions as (
    {%- for audience in audiences %}

        select
            '{{ audience.name }}' as audience,
            '{{ audience.description | replace("'", "''") }}' as description,
            '{{ audience.predicate | replace("'", "''") }}' as predicate
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
    {%- if not audiences %}
        select
            cast(null as string) as audience,
            cast(null as string) as description,
            cast(null as string) as predicate
        where false
    {%- endif %}

),

member_counts as (

    select
        audience,
        count(*) as members
    from members
    group by audience

),

final as (

    select
        definitions.audience,
        definitions.description,
        definitions.predicate,
        coalesce(member_counts.members, 0) as members,
        as_of.as_of_date as snapshot_date
    from definitions
    cross join as_of
    left join member_counts on definitions.audience = member_counts.audience

)

select * from final
