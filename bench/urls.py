from django.urls import path

from bench import floor
from config.urls import handler404, handler500  # noqa: F401
from config.urls import urlpatterns as product_urls

urlpatterns = [
    path("bench/floor/promotions/", floor.promotion_list),
    path("bench/floor/mine/", floor.my_promotions),
    path("bench/floor/promotions/<int:pk>/", floor.promotion_detail),
    path("bench/floor/promotions/<int:pk>/timeline/", floor.promotion_timeline),
    *product_urls,
]
