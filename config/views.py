from django.shortcuts import redirect


def home(request):
    """Staff work in the admin; everyone else (liaison officers) starts on their delegation's portal."""
    if request.user.is_authenticated and request.user.is_staff:
        return redirect("admin:index")
    return redirect("portal:home")
