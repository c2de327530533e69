-- One row per quarantined record: where it was (file, line, column) and why.
with rejects as (

    select * from {{ source('loader', 'raw_rejects') }}

),

final as (

    select
        feed,
        _dt as reporting_date,
        _file as file_path,
        _line as line_number,
        column_name,
        reason,
        record,
        _load_id as load_id,
        _loaded_at as loaded_at
    from rejects

)

select * from final
