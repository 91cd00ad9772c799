"""Which page of the site shows a promotion to whom. E-mail and inbox links open it
(promotions/notify.py): a candidate or a manager never lands on the admin or the API."""

from django.urls import reverse

from promotions.models import Promotion


def promotion_page_for(promotion: Promotion, *, user_id: int) -> str:
    """The path of the page where `user_id` follows `promotion`: the candidate their own promotion,
    the nominator the nomination (the packet, the committee's request for changes), the
    candidate's manager where not the nominator their team at the report's card (there is no page
    of a report's promotion; the card shows its state), anyone else, the committee and HR, the
    desk in the admin. The candidate's manager is loaded with the promotion
    (PROMOTION_WITH_PEOPLE)."""
    candidate = promotion.candidate
    if user_id == candidate.user_id:
        return reverse("portal:my-promotion", args=[promotion.pk])
    if user_id == promotion.nominated_by_id:
        return reverse("portal:nomination", args=[promotion.pk])
    if candidate.manager is not None and user_id == candidate.manager.user_id:
        return reverse("portal:team") + f"#member-{candidate.pk}"  # portal/team.html's card
    return reverse("admin:promotions_promotion_change", args=[promotion.pk])
