from allauth.account.signals import user_logged_in
from django.dispatch import receiver

from grids.services import link_owners_by_mobile


@receiver(user_logged_in)
def link_roll_on_sign_in(sender, request, user, **kwargs):
    """A resident whose mobile number the roll lists is linked to that owner when they sign in."""
    link_owners_by_mobile(user=user)
