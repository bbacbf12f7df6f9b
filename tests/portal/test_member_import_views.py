"""The spreadsheet import through the portal: upload, errors, preview, confirm, discard, templates, access."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from asemplanner.models import AuditEntry
from delegations.domain.member_import.staging import member_import_stage
from delegations.models import MemberImport, Person
from tests.signin import sign_in

HEADER = "Given name,Family name,Function,Rank,Category,Passport number,Passport expiry\r\n"
VALID = (
    HEADER + "Claire,Dubois,Ambassador,Senior official,Delegate,09AB12345,2031-05-31\r\nLuc,Moreau,Interpreter,,,,\r\n"
)


def upload_file(content: str | bytes, name: str = "france.csv") -> SimpleUploadedFile:
    data = content.encode() if isinstance(content, str) else content
    return SimpleUploadedFile(name, data, content_type="text/csv")


def url(name: str, delegation, *args) -> str:
    return reverse(f"portal:{name}", args=[delegation.pk, *args])


def flashed(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def france_names(summit) -> list[str]:
    return sorted(Person.objects.filter(delegation=summit.france).values_list("family_name", flat=True))


def test_upload_page_offers_the_form_and_both_templates(liaison_a, summit):
    page = liaison_a.get(url("import_upload", summit.france)).content.decode()
    assert 'enctype="multipart/form-data"' in page
    assert 'accept=".xlsx,.csv,' in page
    assert url("import_template", summit.france, "csv") in page
    assert url("import_template", summit.france, "xlsx") in page
    assert "2 of its 4 places left" in page


def test_liaison_uploads_previews_and_confirms(liaison_a, summit):
    response = liaison_a.post(url("import_upload", summit.france), {"file": upload_file(VALID)})
    member_import = MemberImport.objects.get(delegation=summit.france)
    assert response.status_code == 302
    assert response["Location"] == url("import_preview", summit.france, member_import.pk)
    assert france_names(summit) == ["LeaderFra", "Martin"]  # nothing added yet

    page = liaison_a.get(response["Location"]).content.decode()
    assert "Claire Dubois" in page and "Luc Moreau" in page
    assert "<strong>2 members</strong> will be added" in page
    assert "0 will be left after the import" in page
    assert "09AB12345" not in page  # masked: only that a passport number is there
    assert "✓ number and expiry" in page
    assert url("import_confirm", summit.france, member_import.pk) in page
    assert url("import_discard", summit.france, member_import.pk) in page

    response = liaison_a.post(url("import_confirm", summit.france, member_import.pk))
    assert response.status_code == 302
    assert response["Location"] == url("members", summit.france)
    assert flashed(response) == ["2 members were added from france.csv. Next: their photos and travel."]
    assert france_names(summit) == ["Dubois", "LeaderFra", "Martin", "Moreau"]
    claire = Person.objects.get(family_name="Dubois")
    assert (claire.passport_number, claire.rank, claire.category) == ("09AB12345", 50, "delegate")
    assert AuditEntry.objects.filter(action="delegations.person.imported", actor=summit.liaison_a).count() == 2


def test_upload_of_an_xlsx_reaches_the_preview(liaison_a, summit):
    workbook = openpyxl.Workbook()
    workbook.active.append(["First name", "Surname", "Position"])
    workbook.active.append(["Claire", "Dubois", "Ambassador"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = liaison_a.post(url("import_upload", summit.france), {"file": upload_file(buffer.getvalue(), "l.xlsx")})
    assert response.status_code == 302
    assert "Claire Dubois" in liaison_a.get(response["Location"]).content.decode()


def test_upload_with_row_errors_lists_them_and_saves_nothing(liaison_a, summit):
    content = HEADER + "Claire,Dubois,Ambassador,Chief,,,31/05/2031\r\nJean,Martin,Sherpa,,,,\r\n"
    before = (Person.objects.count(), AuditEntry.objects.count())
    response = liaison_a.post(url("import_upload", summit.france), {"file": upload_file(content)})
    assert response.status_code == 200
    rows = [(error.row, error.column) for error in response.context["row_errors"]]  # what the table shows, in order
    assert rows == [(2, "Rank"), (2, "Passport expiry"), (3, "Family name")]
    page = response.content.decode()
    assert "france.csv was not imported" in page
    assert '<td data-label="Row">2</td>' in page and '<td data-label="Column">Rank</td>' in page
    assert "‘Chief’ is not a rank. Write one of: Head of state," in page
    assert "write it as YYYY-MM-DD, e.g. 2031-05-31." in page
    assert "Jean Martin is already a member of the delegation." in page
    assert (Person.objects.count(), AuditEntry.objects.count()) == before
    assert not MemberImport.objects.exists()


def test_upload_with_a_wrong_encoding_says_so_at_the_top(liaison_a, summit):
    content = (HEADER + "José,García,Consul,,,,\r\n").encode("cp1252")
    response = liaison_a.post(url("import_upload", summit.france), {"file": upload_file(content)})
    assert response.status_code == 200
    [error] = response.context["file_errors"]
    assert error.message.startswith("The file is not UTF-8 text (byte 0xE9 on line 2).")
    assert response.context["row_errors"] == []
    page = response.content.decode()
    assert 'class="error-summary" role="alert"' in page
    assert "In Excel choose Save As → ‘CSV UTF-8’" in page
    assert not MemberImport.objects.exists()


def test_upload_shows_at_most_200_row_errors_and_says_how_many_more(liaison_a, summit):
    summit.france.quota = 1000
    summit.france.save()
    content = HEADER + "".join(f"Given{i},Family{i},Adviser,Chief,,,\r\n" for i in range(250))
    response = liaison_a.post(url("import_upload", summit.france), {"file": upload_file(content)})
    assert len(response.context["row_errors"]) == 200
    page = response.content.decode()
    assert "250 problems in the rows" in page
    assert "… and 50 more." in page
    assert page.count('<td data-label="Problem">') == 200


def test_upload_over_the_quota_is_refused_saying_places_left(liaison_a, summit):
    content = HEADER + "".join(f"Given{i},Family{i},Adviser,,,,\r\n" for i in range(3))
    response = liaison_a.post(url("import_upload", summit.france), {"file": upload_file(content)})
    [error] = response.context["file_errors"]
    assert error.message.startswith("The file lists 3 members, but the delegation has 2 of its 4 places left")
    assert not MemberImport.objects.exists()


def test_upload_without_a_file_asks_for_one(liaison_a, summit):
    response = liaison_a.post(url("import_upload", summit.france), {})
    assert response.status_code == 200
    assert response.context["form"].errors["file"] == ["This field is required."]


def test_confirm_twice_adds_nobody_the_second_time(liaison_a, summit):
    liaison_a.post(url("import_upload", summit.france), {"file": upload_file(VALID)})
    member_import = MemberImport.objects.get()
    liaison_a.post(url("import_confirm", summit.france, member_import.pk))
    response = liaison_a.post(url("import_confirm", summit.france, member_import.pk))
    assert response["Location"] == url("import_preview", summit.france, member_import.pk)
    assert "This list was already imported" in flashed(response)[-1]
    assert Person.objects.filter(delegation=summit.france).count() == 4
    page = liaison_a.get(response["Location"]).content.decode()
    assert "It cannot be imported twice." in page
    assert url("import_confirm", summit.france, member_import.pk) not in page


def test_discard_adds_nobody_and_the_preview_says_so(liaison_a, summit):
    liaison_a.post(url("import_upload", summit.france), {"file": upload_file(VALID)})
    member_import = MemberImport.objects.get()
    response = liaison_a.post(url("import_discard", summit.france, member_import.pk))
    assert response["Location"] == url("import_upload", summit.france)
    assert flashed(response) == ["france.csv was discarded; nobody was added."]
    member_import.refresh_from_db()
    assert (member_import.status, member_import.rows) == ("discarded", [])
    assert (
        "This list was discarded"
        in liaison_a.get(url("import_preview", summit.france, member_import.pk)).content.decode()
    )
    liaison_a.post(url("import_confirm", summit.france, member_import.pk))
    assert Person.objects.filter(delegation=summit.france).count() == 2


@pytest.fixture
def france_import(summit):
    member_import, errors = member_import_stage(
        delegation=summit.france, file_name="france.csv", data=VALID.encode(), by=summit.liaison_a
    )
    assert errors == []
    return member_import


@pytest.mark.parametrize(
    ("name", "method"),
    [
        pytest.param("import_preview", "get", id="preview"),
        pytest.param("import_confirm", "post", id="confirm"),
        pytest.param("import_discard", "post", id="discard"),
    ],
)
def test_other_delegations_liaison_gets_404_for_this_import(client, summit, france_import, name, method):
    sign_in(client, summit.liaison_b)
    for delegation in (summit.france, summit.germany):  # France's id, and France's import under Germany's id
        response = getattr(client, method)(url(name, delegation, france_import.pk))
        assert response.status_code == 404
    france_import.refresh_from_db()
    assert (france_import.status, france_import.n_rows) == ("ready", 2)
    assert Person.objects.filter(delegation=summit.france).count() == 2


@pytest.mark.parametrize(
    ("name", "method", "args"),
    [
        pytest.param("import_upload", "get", (), id="upload"),
        pytest.param("import_template", "get", ("xlsx",), id="template"),
        pytest.param("import_preview", "get", ("import",), id="preview"),
        pytest.param("import_confirm", "post", ("import",), id="confirm"),
    ],
)
def test_anonymous_visitor_is_sent_to_sign_in(client, summit, france_import, name, method, args):
    args = tuple(france_import.pk if arg == "import" else arg for arg in args)
    response = getattr(client, method)(url(name, summit.france, *args))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")
    assert Person.objects.filter(delegation=summit.france).count() == 2


def test_csv_template_downloads_with_header_and_example(liaison_a, summit):
    response = liaison_a.get(url("import_template", summit.france, "csv"))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="fra-delegation-list.csv"'
    assert response.content.startswith(b"\xef\xbb\xbf")
    header, example = response.content[3:].decode().splitlines()
    assert header.startswith("Honorific,Given name,Family name,Function,Rank,Category,")
    assert example.startswith("H.E.,Dara,Sok,Minister of Foreign Affairs,Minister,Head of delegation,")


def test_xlsx_template_downloads_as_a_workbook(liaison_a, summit):
    response = liaison_a.get(url("import_template", summit.france, "xlsx"))
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"] == 'attachment; filename="fra-delegation-list.xlsx"'
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Honorific", "Given name", "Family name")
    assert rows[1][:3] == ("H.E.", "Dara", "Sok")


@pytest.mark.parametrize("kind", ["xls", "pdf", "CSV"])
def test_template_of_an_unknown_kind_is_404(liaison_a, summit, kind):
    assert liaison_a.get(url("import_template", summit.france, kind)).status_code == 404


def test_preview_query_count_does_not_grow_with_the_rows(liaison_a, summit):
    summit.france.quota = 200
    summit.france.save()
    counts = []
    for size in (1, 3, 60):  # the first fills the session and content-type caches
        content = HEADER + "".join(f"Given{size}x{i},Family{i},Adviser,,,,\r\n" for i in range(size))
        member_import, errors = member_import_stage(
            delegation=summit.france, file_name="l.csv", data=content.encode(), by=summit.liaison_a
        )
        assert errors == []
        with CaptureQueriesContext(connection) as captured:
            page = liaison_a.get(url("import_preview", summit.france, member_import.pk)).content.decode()
        assert page.count('<td data-label="Row">') == size
        counts.append(len(captured))
    assert counts[1] == counts[2]
