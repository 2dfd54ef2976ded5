"""Reference data: the unit tree and the procedure catalogue, seeded from data files."""
