"""Airflow for this project: the preloading executor, its services, and runs of the DAG."""
