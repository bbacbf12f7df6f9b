from django.urls import path

from reminders import views

app_name = "reminders"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("read/", views.inbox_mark_read, name="mark_read"),
]
