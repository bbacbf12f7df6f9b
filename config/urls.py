from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from badges.api.views import not_found as api_not_found
from config.views import home
from portal.accounts import SignInForm, accept_invitation

urlpatterns = [
    path("", home, name="home"),
    path("admin/", admin.site.urls),
    # Password change for liaisons in the portal's look (the admin keeps its own for staff), then sign in and
    # out and password reset by mail (templates/registration/).
    path(
        "accounts/password_change/",
        auth_views.PasswordChangeView.as_view(template_name="accounts/password_change_form.html"),
        name="password_change",
    ),
    path(
        "accounts/password_change/done/",
        auth_views.PasswordChangeDoneView.as_view(template_name="accounts/password_change_done.html"),
        name="password_change_done",
    ),
    path("accounts/login/", auth_views.LoginView.as_view(authentication_form=SignInForm), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("accounts/invitation/<str:token>/", accept_invitation, name="accept_invitation"),
    path("inbox/", include("reminders.urls")),
    path("portal/", include("portal.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),  # no inline script
    path("api/v1/", include("badges.urls")),
    re_path(r"^api/", api_not_found),  # an unknown version or path under /api/: the 404 in the API's error shape
]
