from django.urls import re_path
from rest_framework.routers import SimpleRouter

from core.ids import ID_PATTERN
from promotions import retention_views, views
from promotions.cycles import views as cycle_views
from promotions.delegations import views as delegation_views
from promotions.requests import views as request_views

router = SimpleRouter()
router.trailing_slash = "/?"  # a POST without its trailing slash must not end in a 500
router.register("promotions", views.PromotionViewSet, basename="promotion")
router.register("cycles", cycle_views.CycleViewSet, basename="cycle")
router.register("delegations", delegation_views.DelegationViewSet, basename="delegation")
router.register(
    "nomination-requests", request_views.NominationRequestViewSet, basename="nomination-request"
)


urlpatterns = [
    *router.urls,
    # Beside the ladder's member routes: eligibility is the promotions app's rule.
    re_path(
        rf"^members/(?P<pk>{ID_PATTERN})/eligibility/?$",
        cycle_views.EligibilityViewSet.as_view({"get": "retrieve"}),
        name="member-eligibility",
    ),
    re_path(
        rf"^promotions/(?P<pk>{ID_PATTERN})/legal-hold/?$",
        retention_views.LegalHoldViewSet.as_view({"post": "create", "delete": "destroy"}),
        name="promotion-legal-hold",
    ),
]
