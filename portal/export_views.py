"""The member site's download of one's own data (docs/data-rights.md): the same document as the
API's `members/me/export/` (ladder/export.py), as a file."""

import json

from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from ladder import export
from portal.views import _found


@login_required
@require_safe
def me_export(request: HttpRequest) -> HttpResponse:
    data = _found(export.member_export, user=request.user)
    response = HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
    )
    filename = export.export_filename(user=request.user)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
