"""Background jobs: long runs with progress, visible to every worker process."""
