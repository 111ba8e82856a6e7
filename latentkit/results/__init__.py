"""Results on disk and on screen: stored HDF5 results, tables, figures, replotting."""
