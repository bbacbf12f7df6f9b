"""The project's URLs plus two views that fail: one a plain Django page, one an API view under /api/."""

from django.urls import path
from rest_framework.views import APIView

from badges.api.auth import DeviceTokenAuthentication
from config.urls import urlpatterns as project_urlpatterns

SECRET_DETAIL = "psycopg: Key (passport_number)=(DEMO00042) violates secret_settings_token"


def broken_page(request):
    raise RuntimeError(SECRET_DETAIL)


class BrokenApi(APIView):
    authentication_classes = [DeviceTokenAuthentication]
    permission_classes = []

    def get(self, request):
        raise RuntimeError(SECRET_DETAIL)


urlpatterns = [
    path("broken/", broken_page),
    path("api/v1/broken", BrokenApi.as_view()),
    *project_urlpatterns,
]
