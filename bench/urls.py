from django.urls import path

from bench import floor
from config.urls import handler404, handler500  # noqa: F401
from config.urls import urlpatterns as product_urls

urlpatterns = [
    path("bench/floor/promotions/", floor.promotion_list),
    path("bench/floor/mine/", floor.my_promotions),
    path("bench/floor/promotions/<int:pk>/", floor.promotion_detail),
    path("bench/floor/promotions/<int:pk>/timeline/", floor.promotion_timeline),
    path("bench/floor/promotions/<int:pk>/packet/", floor.promotion_packet),
    path("bench/floor/cycles/<int:pk>/calibration/", floor.cycle_calibration),
    path("bench/floor/cycles/<int:pk>/stats/", floor.cycle_stats),
    *product_urls,
]
