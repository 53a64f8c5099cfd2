"""What the CLI's commands do beyond the pipeline: serve, init, ci, report, new post."""
