"""The dashboards: pages declared in dashboards/, drawn with Vega-Lite, built from the published snapshot."""
