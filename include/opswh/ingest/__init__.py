"""Raw ingestion: one feed's partition for one day into ``raw.<feed>``, with nothing lost (see ``load``)."""

from opswh.ingest.load import LoadResult, load_partition
from opswh.ingest.raw_layer import ensure_schema, raw_dir
from opswh.landing import LoadError

__all__ = ["LoadError", "LoadResult", "ensure_schema", "load_partition", "raw_dir"]
