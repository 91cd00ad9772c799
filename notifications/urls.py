from rest_framework.routers import SimpleRouter

from notifications import views

router = SimpleRouter()
router.trailing_slash = "/?"  # a POST without its trailing slash must not end in a 500
router.register("notifications", views.NotificationViewSet, basename="notification")

urlpatterns = router.urls
