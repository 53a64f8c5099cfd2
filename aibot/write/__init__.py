"""The write stage: a Writer turns a story's articles into a Draft; verify() checks it."""
