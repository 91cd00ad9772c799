from rest_framework.routers import SimpleRouter

from promotions import views

router = SimpleRouter()
router.trailing_slash = "/?"  # a POST without its trailing slash must not end in a 500
router.register("promotions", views.PromotionViewSet, basename="promotion")

urlpatterns = router.urls
