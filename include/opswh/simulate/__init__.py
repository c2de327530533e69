"""A deterministic simulated platform that lands its exports, and the faults real exports have."""
