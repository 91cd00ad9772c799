"""The floor: plain Django views returning the same fields for the same page straight from
`.values()` as JSON, with the same token check. They exist in the bench harness only."""

from django.db.models import Q
from django.http import JsonResponse

from accounts.services import token_authenticate
from ladder.models import Member
from promotions.models import Promotion, PromotionEvent

FIELDS = [
    "id",
    "candidate_id",
    "candidate__user__username",
    "candidate__user__first_name",
    "candidate__user__last_name",
    "from_level__code",
    "to_level__code",
    "state",
    "nominated_by__username",
    "justification",
    "created_at",
    "updated_at",
    "decided_at",
]


def _user(request):
    key = request.headers.get("Authorization", "").removeprefix("Token ")
    token = token_authenticate(key=key)
    return token.user if token else None


def _shape(row: dict) -> dict:
    return {
        "id": row["id"],
        "candidate": {
            "id": row["candidate_id"],
            "username": row["candidate__user__username"],
            "name": f"{row['candidate__user__first_name']} {row['candidate__user__last_name']}",
        },
        "from_level": row["from_level__code"],
        "to_level": row["to_level__code"],
        "state": row["state"],
        "nominated_by": row["nominated_by__username"],
        "justification": row["justification"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "decided_at": row["decided_at"],
        "available_transitions": [],
    }


def _page(request, promotions):
    page = int(request.GET.get("page", 1))
    size = int(request.GET.get("page_size", 50))
    rows = promotions.order_by("-created_at", "-id").values(*FIELDS)[
        (page - 1) * size : page * size
    ]
    return JsonResponse(
        {
            "count": promotions.count(),
            "next": None,
            "previous": None,
            "results": [_shape(r) for r in rows],
        }
    )


def promotion_list(request):
    if _user(request) is None:
        return JsonResponse({"detail": "no"}, status=401)
    promotions = Promotion.objects.all()
    if "state" in request.GET:
        promotions = promotions.filter(state=request.GET["state"])
    return _page(request, promotions)


def my_promotions(request):
    user = _user(request)
    if user is None:
        return JsonResponse({"detail": "no"}, status=401)
    # The same two index scans as the product's selector: a fair floor, not a slow one.
    me = Member.objects.filter(user=user).first()
    candidates = (
        [me.pk, *Member.objects.filter(manager=me).values_list("pk", flat=True)] if me else []
    )
    promotions = Promotion.objects.filter(Q(candidate_id__in=candidates) | Q(nominated_by=user))
    return _page(request, promotions)


def promotion_detail(request, pk):
    if _user(request) is None:
        return JsonResponse({"detail": "no"}, status=401)
    return JsonResponse(_shape(Promotion.objects.values(*FIELDS).get(pk=pk)))


def promotion_timeline(request, pk):
    if _user(request) is None:
        return JsonResponse({"detail": "no"}, status=401)
    events = PromotionEvent.objects.filter(promotion_id=pk).order_by("at", "id")
    rows = events.values("from_state", "to_state", "at", "actor__username", "note")
    return JsonResponse(
        [
            {
                "from_state": r["from_state"],
                "to_state": r["to_state"],
                "at": r["at"],
                "actor": r["actor__username"],
                "note": r["note"],
            }
            for r in rows
        ],
        safe=False,
    )
