"""The current second-factor code of a demo staff user, for a reviewer without an authenticator app.

Refuses any account whose authenticator is not the demo secret: it never reveals a real user's codes."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from demo.seed import DEMO_TOTP_KEY_HEX


class Command(BaseCommand):
    help = "Print the current 6-digit code of a demo staff user (whose authenticator holds the demo secret)."

    def add_arguments(self, parser):
        parser.add_argument("username", nargs="?", default="admin")

    def handle(self, *args, username: str, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}. Demo staff users: admin, protocol, security, logistics, ...")
        if not TOTPDevice.objects.filter(user=user, confirmed=True, key=DEMO_TOTP_KEY_HEX).exists():
            raise CommandError(
                f"{username} has no authenticator with the demo secret (run seed_asem13); codes of other secrets "
                "are never printed."
            )
        totp = TOTP(bytes.fromhex(DEMO_TOTP_KEY_HEX))
        remaining = totp.step - (int(totp.time) - totp.t0) % totp.step
        self.stdout.write(f"{totp.token():06d}")
        self.stderr.write(f"(the code for {username}, good for {remaining} more seconds)")
