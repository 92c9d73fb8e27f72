"""Dataset building and files: config, clip pools, splits, chunks, annotations, stats, checks."""
