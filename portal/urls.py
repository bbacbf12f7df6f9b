"""The liaison portal. Every URL here is walked by tests/portal/test_access.py as two liaisons, an
anonymous visitor and staff: a new URL must be added to that walk, or the test fails."""

from django.urls import path

from portal import flight_views, forum_views, member_import_views, views

app_name = "portal"
D = "<int:delegation_id>/"
P = "<int:delegation_id>/members/<int:person_id>/"
F = "<int:delegation_id>/forum/participants/<int:participant_id>/"
urlpatterns = [
    path("", views.home, name="home"),
    path(D, views.dashboard, name="dashboard"),
    path(D + "members/", views.members, name="members"),
    path(D + "members/add/", views.member_add, name="member_add"),
    path(D + "members/head/", views.set_head, name="set_head"),
    path(P, views.member_edit, name="member_edit"),
    path(P + "remove/", views.member_remove, name="member_remove"),
    path(P + "photo/", views.member_photo, name="member_photo"),
    path(P + "photo.jpg", views.member_photo_file, name="member_photo_file"),
    path(P + "travel/", views.member_travel, name="member_travel"),
    path(P + "flight/", flight_views.member_flight, name="member_flight"),
    path(P + "programme.ics", views.member_calendar, name="member_calendar"),
    path(D + "accreditations/", views.accreditations, name="accreditations"),
    path(
        D + "accreditations/<int:accreditation_id>/withdraw/",
        views.accreditation_withdraw_view,
        name="accreditation_withdraw",
    ),
    path(D + "bilaterals/", views.bilaterals, name="bilaterals"),
    path(D + "bilaterals/request/", views.bilateral_new, name="bilateral_request"),
    path(D + "bilaterals/<int:bilateral_id>/accept/", views.bilateral_accept_view, name="bilateral_accept"),
    path(D + "bilaterals/<int:bilateral_id>/decline/", views.bilateral_decline_view, name="bilateral_decline"),
    path(D + "bilaterals/<int:bilateral_id>/cancel/", views.bilateral_cancel_view, name="bilateral_cancel"),
    path(D + "programme/", views.programme, name="programme"),
    path(D + "programme.ics", views.programme_calendar, name="programme_calendar"),
    path(D + "run-of-show.pdf", views.run_of_show_view, name="run_of_show"),
    path(D + "forum/", forum_views.forum, name="forum"),
    path(D + "forum/participants/add/", forum_views.participant_new, name="forum_participant_add"),
    path(F, forum_views.participant_edit, name="forum_participant"),
    path(F + "directory/", forum_views.directory, name="forum_directory"),
    path(F + "request/<int:other_id>/", forum_views.request_new, name="forum_request"),
    path(F + "agenda/", forum_views.agenda, name="forum_agenda"),
    path(F + "agenda.pdf", forum_views.agenda_pdf_view, name="forum_agenda_pdf"),
    path(F + "agenda.ics", forum_views.agenda_ics_view, name="forum_agenda_ics"),
    path(D + "forum/agendas.pdf", forum_views.agendas_pdf_view, name="forum_agendas_pdf"),
    path(D + "forum/requests/<int:request_id>/accept/", forum_views.request_accept, name="forum_request_accept"),
    path(D + "forum/requests/<int:request_id>/decline/", forum_views.request_decline, name="forum_request_decline"),
    path(D + "forum/requests/<int:request_id>/withdraw/", forum_views.request_withdraw, name="forum_request_withdraw"),
    path(D + "import/", member_import_views.upload, name="import_upload"),
    path(D + "import/template.<str:kind>", member_import_views.template, name="import_template"),
    path(D + "import/<int:import_id>/", member_import_views.preview, name="import_preview"),
    path(D + "import/<int:import_id>/confirm/", member_import_views.confirm, name="import_confirm"),
    path(D + "import/<int:import_id>/discard/", member_import_views.discard, name="import_discard"),
]
