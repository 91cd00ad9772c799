"""Views that take a file: their requests may carry a larger body (config.middleware)."""

import functools


def accepts_upload(view):
    """Marks a view (a function or a bound method) as taking a file, so its requests may be as
    large as UPLOAD_MAX_BODY_BYTES. Wrappers made with functools.wraps keep the mark."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        return view(*args, **kwargs)

    wrapped.accepts_upload = True  # type: ignore[attr-defined]
    return wrapped
