"""Great Expectations between the steps."""

from opswh.quality.gate import QualityGateError, StageReport, load_suites, validate_stage  # noqa: F401
