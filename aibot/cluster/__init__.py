"""The cluster stage: new articles → stories. `cluster` is the clustering function itself."""

from aibot.cluster.stories import cluster

__all__ = ["cluster"]
