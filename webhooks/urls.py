from rest_framework.routers import SimpleRouter

from webhooks import views

router = SimpleRouter()
router.trailing_slash = "/?"  # a POST without its trailing slash must not end in a 500
router.register("webhooks", views.WebhookViewSet, basename="webhook")

urlpatterns = router.urls
