from django.core.management.base import BaseCommand

from demo.seed import demo_totp_uri, seed_asem13


class Command(BaseCommand):
    help = (
        "Load (or refresh) the ASEM13 demo data: 53 partners, the summit and its seven side events, Phnom Penh "
        "venues, a programme, a delegation per partner and demo users for every role. Safe to run again."
    )

    def handle(self, *args, **options):
        self.stdout.write("Seeding ASEM13 demo data …")
        report = seed_asem13()
        for name in sorted(set(report.written) | set(report.unchanged)):
            self.stdout.write(f"  {name:<22} {report.written[name]:>5} written  {report.unchanged[name]:>5} unchanged")
        self.stdout.write(self.style.SUCCESS("ASEM13 demo data is in place."))
        self.stdout.write("")
        self.stdout.write(
            self.style.WARNING("Demo logins — DEMO ONLY, never use these passwords on a real deployment:")
        )
        for username, password, role in report.users:
            secret = report.second_factors.get(username)
            factor = f"  second factor: {secret}" if secret else ""
            self.stdout.write(f"  {username:<15} {password:<28} ({role}){factor}")
            if secret:
                self.stdout.write(f"  {'':<15} {demo_totp_uri(username)}")
        self.stdout.write(
            "Staff sign in with the password, then a 6-digit code from an authenticator app holding their demo "
            "secret (scan or paste the otpauth:// URI); without a phone: python3 dev.py totp admin"
        )
