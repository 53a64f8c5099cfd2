"""Posts as files: front matter, the posts index, slugs, related posts, evidence."""
