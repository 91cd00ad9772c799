"""The API answers JSON; people signed in to the admin (by session) may also browse it as HTML."""

from django.utils.translation import get_language
from rest_framework.authentication import SessionAuthentication
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer


def signed_in_by_session(request) -> bool:
    # Authentication has run (or failed) by the time a response renders; never run it here.
    authenticator = getattr(request, "_authenticator", None)
    return isinstance(authenticator, SessionAuthentication)


class SessionBrowsableAPIRenderer(BrowsableAPIRenderer):
    """DRF's browsable API, for a request authenticated by the admin's session cookie (a
    committee member clicking through /api/v1/). Anyone else who asks for HTML (a token client,
    an anonymous browser) gets the JSON they would get anyway.

    Listed after JSONRenderer, so `Accept: application/json` or `*/*` always means JSON. The
    OpenAPI schema ignores it (drf-spectacular skips browsable renderers): the API's documented
    media type stays `application/json`."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        renderer_context = renderer_context or {}
        if signed_in_by_session(renderer_context.get("request")):
            page = super().render(data, accepted_media_type, renderer_context)
            # DRF's page template opens <html> outside its blocks: its language is said here.
            return page.replace("<html>", f'<html lang="{get_language()}">', 1)
        json = JSONRenderer()
        response = renderer_context.get("response")
        if response is not None:
            response["Content-Type"] = json.media_type
        return json.render(data, json.media_type, renderer_context)
