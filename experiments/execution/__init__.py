"""Execution: executors (serial, process pool, Dask), the batch runner and the resumable Parquet results store."""
