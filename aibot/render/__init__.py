"""The build stage: content/posts → site/."""

from aibot.render.markdown import markdown_to_html
from aibot.render.site import BuildReport, build_site

__all__ = ["BuildReport", "build_site", "markdown_to_html"]
