"""SCIM 2.0 at /scim/v2/ (RFC 7644), thin: authenticate the bearer token, read the request with
the mapper, call one service, answer with the mapper's resource. Every refusal is a SCIM error
body (`schemas`, `status`, `scimType`, `detail`), whatever was sent."""

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from pydantic import ValidationError
from scim2_models import (
    Context,
    Error,
    Group,
    ListResponse,
    ResourceType,
    ResponseParameters,
    Schema,
    SCIMException,
)

from accounts.scim import errors, mapper, resources, selectors, services
from accounts.scim.errors import ScimError
from accounts.scim.resources import ScimUser
from accounts.scim.tokens import scim_token_authenticate
from core.errors import DomainError
from ladder.models import Level

CONTENT_TYPE = "application/scim+json"
DEFAULT_COUNT = 100
MAX_START_INDEX = 10**9


def scim_response(body: dict[str, Any] | None, *, status: int = 200, location: str = ""):
    response = HttpResponse(
        b"" if body is None else json.dumps(body), status=status, content_type=CONTENT_TYPE
    )
    if location:
        response["Location"] = location
    return response


def error_response(exc: ScimError) -> HttpResponse:
    error = Error(status=exc.status, scim_type=exc.scim_type, detail=exc.detail)
    response = scim_response(error.model_dump(scim_ctx=Context.DEFAULT), status=exc.status)
    if exc.status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="scim"'
    return response


@method_decorator(csrf_exempt, name="dispatch")
class ScimView(View):
    http_method_names = ["get", "post", "put", "patch", "delete"]

    def dispatch(self, request: HttpRequest, *args, **kwargs):
        try:
            self._authenticate(request)
            return super().dispatch(request, *args, **kwargs)
        except ScimError as exc:
            return error_response(exc)
        except SCIMException as exc:  # scim2-models' refusals (a PATCH of an immutable ...)
            return error_response(ScimError(exc.status, exc.detail, exc.scim_type or None))
        except ValidationError as exc:
            return error_response(mapper.validation_error(exc))
        except DomainError as exc:
            return error_response(errors.from_domain(exc))

    def http_method_not_allowed(self, request, *args, **kwargs) -> HttpResponse:
        return error_response(ScimError(405, f"{request.method} is not supported here."))

    @staticmethod
    def _authenticate(request: HttpRequest) -> None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ScimError(401, "Give a SCIM token: Authorization: Bearer <token>.")
        if scim_token_authenticate(token=token.strip()) is None:
            raise ScimError(401, "The SCIM token is not valid (unknown or revoked).")

    @property
    def base_url(self) -> str:
        return self.request.build_absolute_uri("/scim/v2").rstrip("/")

    def body(self) -> Any:
        try:
            return json.loads(self.request.body)
        except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: [[[[…
            raise ScimError(400, "The body is not JSON.", "invalidSyntax") from None

    def response_parameters(self) -> ResponseParameters:
        names = ("attributes", "excludedAttributes")
        return ResponseParameters.model_validate(
            {name: self.request.GET[name] for name in names if name in self.request.GET}
        )

    def resource(self, resource, *, status: int = 200, context=Context.RESOURCE_QUERY_RESPONSE):
        body = resource.model_dump(scim_ctx=context, response_parameters=self.response_parameters())
        location = resource.meta.location if status == 201 and resource.meta else ""
        return scim_response(body, status=status, location=location)

    def listing(self, items: list, *, total: int, start: int) -> HttpResponse:
        response = ListResponse[ScimUser | Group | ResourceType | Schema](
            total_results=total, start_index=start, items_per_page=len(items), resources=items
        )
        body = response.model_dump(
            scim_ctx=Context.SEARCH_RESPONSE, response_parameters=self.response_parameters()
        )
        return scim_response(body)

    def page(self) -> tuple[int, int]:
        """startIndex (from 1) and count (at most resources.MAX_RESULTS) of a list."""
        values = []
        for name, default in (("startIndex", 1), ("count", DEFAULT_COUNT)):
            text = self.request.GET.get(name, "")
            if not text:
                values.append(default)
                continue
            try:
                values.append(int(text))
            except ValueError:
                raise errors.invalid_value(f"{name} must be a whole number.") from None
        start, count = values
        # Past any list's end, and within what the database takes as an OFFSET.
        start = min(max(start, 1), MAX_START_INDEX)
        return start, min(max(count, 0), resources.MAX_RESULTS)


@method_decorator(csrf_exempt, name="dispatch")
class NoSuchEndpointView(ScimView):
    """Any other path: 404; searching by POST `.search` (RFC 7644 §3.4.3) is not supported: 501
    (docs/scim.md; lists take `filter` as a query parameter)."""

    def dispatch(self, request, *args, **kwargs):
        response = super().dispatch(request, *args, **kwargs)
        if response.status_code == 401:
            return response
        if kwargs.get("path", "").rstrip("/").endswith(".search"):
            return error_response(
                ScimError(501, "POST .search is not supported: use GET with filter.")
            )
        return error_response(errors.not_found())

    def get(self, request, path: str):
        raise errors.not_found()


# --- Discovery ------------------------------------------------------------------------------


class ServiceProviderConfigView(ScimView):
    http_method_names = ["get"]

    def get(self, request):
        config = resources.service_provider_config()
        return self.resource(config)


def _level_codes() -> list[str]:
    return list(Level.objects.order_by("rank").values_list("code", flat=True))


class ResourceTypesView(ScimView):
    http_method_names = ["get"]

    def get(self, request, name: str | None = None):
        found = resources.resource_types()
        for resource_type in found:
            resource_type.meta = _meta(
                "ResourceType", f"{self.base_url}/ResourceTypes/", resource_type.id
            )
        if name is None:
            return self.listing(found, total=len(found), start=1)
        for resource_type in found:
            if resource_type.id == name:
                return self.resource(resource_type)
        raise errors.not_found(f"No resource type is named {name!r}.")


class SchemasView(ScimView):
    http_method_names = ["get"]

    def get(self, request, urn: str | None = None):
        found = resources.schemas(level_codes=_level_codes())
        for schema in found:
            schema.meta = _meta("Schema", f"{self.base_url}/Schemas/", schema.id)
        if urn is None:
            return self.listing(found, total=len(found), start=1)
        for schema in found:
            if schema.id == urn:
                return self.resource(schema)
        raise errors.not_found(f"No schema is named {urn!r}.")


def _meta(kind: str, prefix: str, name: str | None):
    from scim2_models import Meta

    return Meta(resource_type=kind, location=f"{prefix}{name}")


# --- Users ----------------------------------------------------------------------------------


class UsersView(ScimView):
    http_method_names = ["get", "post"]

    def get(self, request):
        members = selectors.scim_member_list(filter_text=request.GET.get("filter"))
        start, count = self.page()
        total = members.count()
        chosen = members[start - 1 : start - 1 + count] if count else []
        items = [mapper.member_to_scim(member, base_url=self.base_url) for member in chosen]
        return self.listing(items, total=total, start=start)

    def post(self, request):
        resource = mapper.read_user(self.body(), context=Context.RESOURCE_CREATION_REQUEST)
        member = services.scim_user_create(data=mapper.user_input(resource))
        member = selectors.scim_member_get(scim_id=str(member.user_id))
        return self.resource(
            mapper.member_to_scim(member, base_url=self.base_url),
            status=201,
            context=Context.RESOURCE_CREATION_RESPONSE,
        )


class UserView(ScimView):
    http_method_names = ["get", "put", "patch", "delete"]

    def get(self, request, scim_id: str):
        member = selectors.scim_member_get(scim_id=scim_id)
        return self.resource(mapper.member_to_scim(member, base_url=self.base_url))

    def put(self, request, scim_id: str):
        member = selectors.scim_member_get(scim_id=scim_id)
        resource = mapper.read_user(self.body(), context=Context.RESOURCE_REPLACEMENT_REQUEST)
        services.scim_user_replace(member=member, data=mapper.user_input(resource))
        return self._current(scim_id, Context.RESOURCE_REPLACEMENT_RESPONSE)

    def patch(self, request, scim_id: str):
        member = selectors.scim_member_get(scim_id=scim_id)
        resource = mapper.member_to_scim(member, base_url=self.base_url)
        operations = mapper.read_patch(self.body(), ScimUser)
        if operations.patch(resource):
            services.scim_user_replace(member=member, data=mapper.user_input(resource))
        return self._current(scim_id, Context.RESOURCE_PATCH_RESPONSE)

    def delete(self, request, scim_id: str):
        member = selectors.scim_member_get(scim_id=scim_id)
        services.scim_user_delete(member=member)
        return scim_response(None, status=204)

    def _current(self, scim_id: str, context: Context) -> HttpResponse:
        member = selectors.scim_member_get(scim_id=scim_id)
        return self.resource(mapper.member_to_scim(member, base_url=self.base_url), context=context)


# --- Groups ---------------------------------------------------------------------------------

ROLE_GROUPS_ONLY = (
    "The groups are the ladder's roles (HR, Promotion committee, Executives, People analytics): "
    "their members "
    "change, the groups are not created or deleted over SCIM."
)


class GroupsView(ScimView):
    http_method_names = ["get", "post"]

    def get(self, request):
        groups = list(selectors.scim_group_list(filter_text=request.GET.get("filter")))
        start, count = self.page()
        chosen = groups[start - 1 : start - 1 + count]
        items = [self._group(group) for group in chosen]
        return self.listing(items, total=len(groups), start=start)

    def post(self, request):
        raise ScimError(403, ROLE_GROUPS_ONLY)

    def _group(self, group) -> Group:
        return mapper.group_to_scim(
            group, member_ids=selectors.group_member_ids(group=group), base_url=self.base_url
        )


class GroupView(GroupsView):
    http_method_names = ["get", "put", "patch", "delete"]

    def get(self, request, scim_id: str = ""):
        return self.resource(self._group(selectors.scim_group_get(scim_id=scim_id)))

    def put(self, request, scim_id: str):
        group = selectors.scim_group_get(scim_id=scim_id)
        resource = mapper.read_group(self.body(), context=Context.RESOURCE_REPLACEMENT_REQUEST)
        if resource.display_name != group.name:
            raise errors.mutability("A role group's displayName cannot be changed.")
        services.scim_group_members_set(group=group, user_ids=mapper.group_member_ids(resource))
        return self.resource(self._group(group), context=Context.RESOURCE_REPLACEMENT_RESPONSE)

    def patch(self, request, scim_id: str):
        group = selectors.scim_group_get(scim_id=scim_id)
        resource = self._group(group)
        operations = mapper.read_patch(self.body(), Group)
        if operations.patch(resource):
            if resource.display_name != group.name:
                raise errors.mutability("A role group's displayName cannot be changed.")
            services.scim_group_members_set(group=group, user_ids=mapper.group_member_ids(resource))
        return self.resource(self._group(group), context=Context.RESOURCE_PATCH_RESPONSE)

    def delete(self, request, scim_id: str):
        selectors.scim_group_get(scim_id=scim_id)
        raise ScimError(403, ROLE_GROUPS_ONLY)
