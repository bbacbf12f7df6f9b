from django.urls import path, re_path

from badges.api import views as api

urlpatterns = [
    path("badges/", api.BadgeList.as_view(), name="badges-list"),
    path("badges/pdf", api.BadgeBatchPdf.as_view(), name="badges-batch-pdf"),
    path("badges/export", api.BadgeExport.as_view(), name="badges-export"),
    path("badges/<str:badge_number>/", api.BadgeDetail.as_view(), name="badges-detail"),
    path("badges/<str:badge_number>/photo.jpg", api.BadgePhoto.as_view(), name="badges-photo"),
    path("badges/<str:badge_number>/pdf", api.BadgePdf.as_view(), name="badges-pdf"),
    path("badges/<str:badge_number>/prints", api.BadgePrints.as_view(), name="badges-prints"),
    path("badges/<str:badge_number>/reprint", api.BadgeReprint.as_view(), name="badges-reprint"),
    path("feed/", api.Feed.as_view(), name="feed"),
    path("verify", api.Verify.as_view(), name="verify"),
    path("checkpoint/scans", api.CheckpointScans.as_view(), name="checkpoint-scans"),
    re_path(r"^(?P<rest>.*)$", api.not_found),
]
