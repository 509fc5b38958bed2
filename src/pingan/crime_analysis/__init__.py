"""Analysis service: loads incidents from the database in scope and runs the analytics kernels."""
