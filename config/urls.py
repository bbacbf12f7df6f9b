from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from asemplanner.views import choose_language
from badges.api.views import not_found as api_not_found
from config.views import home
from portal.accounts import ResetConfirmView, ResetRequestView, SignInForm, accept_invitation
from portal.second_factor import (
    account_security,
    second_factor_enrol,
    second_factor_verify,
    sign_out_other_sessions,
)

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
    # The rest of django.contrib.auth.urls, each once (including the whole module would define sign-in and
    # password change a second time, shadowed by the ones above).
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password_reset/", ResetRequestView.as_view(), name="password_reset"),
    path("accounts/password_reset/done/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "accounts/reset/<uidb64>/<token>/",
        ResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("accounts/reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("accounts/invitation/<str:token>/", accept_invitation, name="accept_invitation"),
    # Second factor (staff always, liaisons once enrolled) and the account's sessions: portal/second_factor.py.
    path("accounts/second-factor/", second_factor_verify, name="second_factor_verify"),
    path("accounts/second-factor/enrol/", second_factor_enrol, name="second_factor_enrol"),
    path("accounts/security/", account_security, name="account_security"),
    path("accounts/security/sign-out-others/", sign_out_other_sessions, name="sign_out_other_sessions"),
    path("language/", choose_language, name="choose_language"),
    path("inbox/", include("reminders.urls")),
    path("portal/", include("portal.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),  # no inline script
    path("api/v1/", include("badges.urls")),
    re_path(r"^api/", api_not_found),  # an unknown version or path under /api/: the 404 in the API's error shape
]
