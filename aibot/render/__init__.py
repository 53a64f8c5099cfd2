"""The build stage: content/posts → site/."""

from aibot.render.site import BuildReport, build_site, markdown_to_html

__all__ = ["BuildReport", "build_site", "markdown_to_html"]
