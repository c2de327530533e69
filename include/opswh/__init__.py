"""Platform Ops Warehouse."""
