"""Catalogue data in every language (issue 12 point 6): plan names, features and notes in the UI language."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from billing.catalog import CATALOG, TRANSLATIONS, ensure_catalog
from billing.models import Plan
from tests.billing.factories import ActiveSubscriptionFactory, kst
from tests.subscriptions.factories import TrialSubscriptionFactory, plan

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _plan_catalog(db):
    ensure_catalog()


def test_the_seeded_catalogue_has_english_japanese_and_korean_texts():
    basic = Plan.objects.get(code="basic")

    assert basic.features_en == CATALOG[1]["features"]
    assert basic.features_ja == [
        "Liteのすべての機能",
        "メール: 1ユーザーあたり30GB、独自ドメインに対応",
        "最大200人までのビデオ通話",
        "Drive: 会社全体で1TB",
    ]
    assert basic.notes_ko == "메일이 필요한 기업을 위한 표준 플랜입니다."
    assert sorted(TRANSLATIONS) == ["basic", "lite", "premium"]


@pytest.mark.parametrize(
    ("language", "feature", "note"),
    [
        pytest.param("en", "Mail: 30 GB per user, with your own domain", "For small teams", id="en"),
        pytest.param("ja", "メール: 1ユーザーあたり30GB、独自ドメインに対応", "小規模チーム向け", id="ja"),
        pytest.param("ko", "메일: 사용자당 30GB, 자체 도메인 지원", "소규모 팀을 위한", id="ko"),
    ],
)
def test_wizard_step_1_shows_features_and_notes_in_the_ui_language(customer_client, language, feature, note):
    response = customer_client.get(reverse("subscriptions:apply"), HTTP_ACCEPT_LANGUAGE=language)

    html = response.content.decode()
    assert feature in html
    assert note in html


def test_wizard_step_1_shows_english_where_a_language_is_not_translated(customer_client):
    lite = plan("lite")
    lite.features_ja, lite.notes_ja = [], ""
    lite.save(update_fields=["features_ja", "notes_ja"])

    html = customer_client.get(reverse("subscriptions:apply"), HTTP_ACCEPT_LANGUAGE="ja").content.decode()

    assert "Video calls with up to 4 participants" in html
    assert "For small teams that mainly chat and share schedules." in html
    assert "最大200人までのビデオ通話" in html  # Basic is translated


def test_the_upgrade_page_shows_the_plans_in_the_ui_language(customer):
    subscription = ActiveSubscriptionFactory(customer=customer)

    with time_machine.travel(kst(2027, 2, 1), tick=False):
        client = Client()
        client.force_login(customer)
        response = client.get(
            reverse("subscriptions:upgrade", args=[subscription.public_id]), HTTP_ACCEPT_LANGUAGE="ko"
        )

    assert response.status_code == 200
    html = response.content.decode()
    assert "감사 로그, 정보 유출 방지, 모바일 기기 관리" in html
    assert "Audit logs" not in html


def test_my_product_shows_the_plan_name_in_the_ui_language(customer, customer_client):
    premium = plan("premium")
    premium.name_ja = "プレミアム"
    premium.save(update_fields=["name_ja"])
    TrialSubscriptionFactory(customer=customer, plan_code="premium")

    with time_machine.travel(datetime(2026, 12, 2, 3, 0, tzinfo=UTC), tick=False):
        japanese = customer_client.get(reverse("subscriptions:my-product"), HTTP_ACCEPT_LANGUAGE="ja")
        english = customer_client.get(reverse("subscriptions:my-product"), HTTP_ACCEPT_LANGUAGE="en")

    assert "NAVER WORKS プレミアム" in japanese.content.decode()
    assert "NAVER WORKS Premium" in english.content.decode()
