"""AiBot: news feeds in, a static news website out.

The public API lives in the submodules named in docs/library-api.md; importing them has no side
effects: no folders are created, nothing is fetched, no warnings are emitted.
"""

__version__ = "0.1.0"
