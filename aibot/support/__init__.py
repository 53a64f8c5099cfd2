"""Building blocks every layer may use: text, files, locks, workers, progress."""
