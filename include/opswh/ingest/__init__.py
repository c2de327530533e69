"""Raw ingestion: one feed's partition for one day into ``raw.<feed>``, with nothing lost."""

from opswh.ingest.load import *  # noqa: F403
from opswh.ingest.load import DEFAULT_MAX_REJECT_SHARE, LoadError, LoadResult, ensure_schema, load_partition, raw_dir  # noqa: F401
