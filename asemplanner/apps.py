from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AsemplannerConfig(AppConfig):
    """Shared bits: the audit trail and the staff roles."""

    default = True
    name = "asemplanner"
    verbose_name = _("Planner")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # post_migrate is sent once per installed app; sender=self runs the step once per migrate (and per
        # flush). The step creates every app's permissions itself first: Django's own handler does that app
        # by app, and the apps listed after this one have not had their turn yet.
        post_migrate.connect(bootstrap_after_migrate, sender=self, dispatch_uid="asemplanner.bootstrap")
        # Sign-in bookkeeping (asemplanner/domain/signin.py): the session's limits and owner, lockouts audited.
        from axes.signals import user_locked_out
        from django.contrib.auth.signals import user_logged_in, user_logged_out

        user_logged_in.connect(_signed_in, dispatch_uid="asemplanner.signed_in")
        user_logged_out.connect(_signed_out, dispatch_uid="asemplanner.signed_out")
        user_locked_out.connect(_locked_out, dispatch_uid="asemplanner.locked_out")
        # An admin unlocks by deleting the lockout row: the API's cached 'address locked' flag goes with it.
        from axes.models import AccessAttempt
        from django.db.models.signals import post_delete

        post_delete.connect(_unlocked, sender=AccessAttempt, dispatch_uid="asemplanner.unlocked")


def _signed_in(sender, request, user, **kwargs) -> None:
    from asemplanner.domain.signin import session_started
    from asemplanner.i18n import remember_in_session

    if request is not None and hasattr(request, "session"):
        session_started(session=request.session, user=user)
        remember_in_session(request.session, user)


def _signed_out(sender, request, user, **kwargs) -> None:
    from asemplanner.domain.signin import user_session_forget

    if request is not None and hasattr(request, "session"):
        user_session_forget(session_key=request.session.session_key)


def _locked_out(sender, request, username, ip_address, **kwargs) -> None:
    from asemplanner.domain.signin import lockout_record

    lockout_record(username=username or "", ip_address=ip_address or "")


def bootstrap_after_migrate(sender, *, using, verbosity=1, apps=None, **kwargs) -> None:
    """The roles and the beat schedules, after every migrate (`apps` is the migrated state; flush sends none)."""
    from django.apps import apps as global_apps

    from asemplanner.domain.bootstrap import planner_bootstrap

    planner_bootstrap(apps=apps or global_apps, using=using, verbosity=verbosity)


def _unlocked(sender, instance, **kwargs) -> None:
    from asemplanner.domain.signin import address_unlocked

    address_unlocked(ip_address=instance.ip_address or "")
