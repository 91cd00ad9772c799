import pytest

from ladder.models import Level
from promotions import services
from tests import factories


@pytest.fixture
def people(db):
    """The cast of a promotion: candidate (pm), their manager who nominates, the committee,
    HR, another manager, and a committee member who is also the candidate's manager's peer."""
    manager = factories.MemberFactory(level=Level.objects.get(code="group-pm"))
    candidate = factories.MemberFactory(level=Level.objects.get(code="pm"), manager=manager)
    other_manager = factories.MemberFactory(level=Level.objects.get(code="group-pm"))
    factories.MemberFactory(level=Level.objects.get(code="pm"), manager=other_manager)
    return {
        "candidate": candidate.user,
        "manager": manager.user,
        "other_manager": other_manager.user,
        "committee": factories.committee_member(level="vp-product"),
        "committee2": factories.committee_member(),
        "hr": factories.hr_user(),
        "candidate_member": candidate,
    }


@pytest.fixture
def nominate(people):
    def make(candidate=None, to="senior-pm", by=None):
        return services.promotion_nominate(
            candidate=candidate or people["candidate_member"],
            to_level=Level.objects.get(code=to),
            nominated_by=by or people["manager"],
            justification="Owns checkout end to end; mentors two APMs.",
        )

    return make


@pytest.fixture
def in_review(people, nominate):
    def make(**kwargs):
        promotion = nominate(**kwargs)
        return services.promotion_start_review(promotion=promotion, actor=people["committee"])

    return make
