"""Every route of the URL conf as a pattern (`/api/v1/members/{pk}/`), for the tables that must
cover each one: the API's (tests/security/test_authorization_table.py) and the member site's
(tests/portal/test_site_routes.py)."""

import re

from django.urls import URLPattern, URLResolver, get_resolver


def url_patterns(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        part = pattern.pattern.regex.pattern.lstrip("^").rstrip("$").replace(r"\Z", "")
        part = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", part).replace("/?", "/")
        part = re.sub(r"\(\?:?[^)]*\)\??", "", part).replace("\\", "")
        if isinstance(pattern, URLResolver):
            yield from url_patterns(pattern, prefix + part)
        elif isinstance(pattern, URLPattern):
            yield "/" + (prefix + part).lstrip("/")
