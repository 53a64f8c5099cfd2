"""The cluster stage: new articles → stories."""
