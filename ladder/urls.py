from rest_framework.routers import SimpleRouter

from ladder import views

router = SimpleRouter()
router.trailing_slash = "/?"  # a POST without its trailing slash must not end in a 500
router.register("ladder/levels", views.LevelViewSet, basename="level")
router.register("ladder/transitions", views.LevelTransitionViewSet, basename="level-transition")
router.register("members", views.MemberViewSet, basename="member")

urlpatterns = router.urls
