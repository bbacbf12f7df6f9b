from django.shortcuts import redirect


def home(request):
    """Staff work in the admin; everyone else (liaison officers) starts on their reminders page."""
    if request.user.is_authenticated and request.user.is_staff:
        return redirect("admin:index")
    return redirect("reminders:inbox")
