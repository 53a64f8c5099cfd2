"""The collect stage: feeds → new Articles with full text, stored in the cache."""
