"""The reminders page every signed-in user has: liaisons see their delegations' deadlines and their inbox."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from asemplanner.domain.notifications import notifications_mark_read
from asemplanner.models import Notification
from reminders.domain.inbox import inbox_for


@login_required
@require_http_methods(["GET", "HEAD"])
def inbox(request):
    sections, coming, notices = inbox_for(request.user)
    unread = sum(1 for n in notices if n.read_at is None)
    return render(
        request,
        "reminders/inbox.html",
        {"sections": sections, "coming": coming, "notices": notices, "unread": unread},
    )


@login_required
@require_POST
def inbox_mark_read(request):
    notifications_mark_read(queryset=Notification.objects.filter(recipient=request.user))
    return redirect("reminders:inbox")
