from django.core.management.base import BaseCommand

from asemplanner.domain.changes import follow_up_markdown


class Command(BaseCommand):
    help = "Prints the follow-up table: which write makes which app do what (as in docs/architecture.md)."

    def handle(self, *args: object, **options: object) -> None:
        self.stdout.write(follow_up_markdown(), ending="")
