"""The seeded plan catalog (SPEC 3): KRW per user per month, VAT excluded. Operators edit it in Django admin.

A constant so that the data migration and `ensure_catalog` (tests that flush the database) share one source.
"""

CATALOG = [
    {
        "code": "lite",
        "name": "Lite",
        "tier": 1,
        "annual_unit_price": 3000,
        "monthly_unit_price": 3600,
        "features": [
            "Message, Board, Calendar, Contacts, Task, Survey",
            "Video calls with up to 4 participants",
            "Drive: 100 GB shared by the company",
            "Mail not included",
        ],
        "notes": "For small teams that mainly chat and share schedules.",
    },
    {
        "code": "basic",
        "name": "Basic",
        "tier": 2,
        "annual_unit_price": 5000,
        "monthly_unit_price": 6000,
        "features": [
            "Everything in Lite",
            "Mail: 30 GB per user, with your own domain",
            "Video calls with up to 200 participants",
            "Drive: 1 TB shared by the company",
        ],
        "notes": "The standard plan for companies that need mail.",
    },
    {
        "code": "premium",
        "name": "Premium",
        "tier": 3,
        "annual_unit_price": 10000,
        "monthly_unit_price": 12000,
        "features": [
            "Everything in Basic",
            "Mail and Drive: 100 GB per user",
            "Audit logs, data loss prevention and mobile device management",
            "Shared drive: 1 TB plus 10 GB per user",
        ],
        "notes": "For organizations with security and compliance needs.",
    },
]


# The seeded catalogue's Japanese and Korean texts (django-modeltranslation's `name_ja`, `features_ko`, ...);
# English is CATALOG itself. Operators edit all of them in Django admin.
TRANSLATIONS = {
    "lite": {
        "ja": {
            "name": "Lite",
            "features": [
                "トーク、掲示板、カレンダー、アドレス帳、タスク、アンケート",
                "最大4人までのビデオ通話",
                "Drive: 会社全体で100GB",
                "メールは含まれません",
            ],
            "notes": "主にトークとスケジュール共有を使う小規模チーム向けです。",
        },
        "ko": {
            "name": "Lite",
            "features": [
                "메시지, 게시판, 캘린더, 주소록, 할 일, 설문",
                "최대 4명까지 화상 통화",
                "Drive: 회사 전체 100GB",
                "메일 미포함",
            ],
            "notes": "주로 메시지와 일정 공유를 사용하는 소규모 팀을 위한 플랜입니다.",
        },
    },
    "basic": {
        "ja": {
            "name": "Basic",
            "features": [
                "Liteのすべての機能",
                "メール: 1ユーザーあたり30GB、独自ドメインに対応",
                "最大200人までのビデオ通話",
                "Drive: 会社全体で1TB",
            ],
            "notes": "メールが必要な企業向けの標準プランです。",
        },
        "ko": {
            "name": "Basic",
            "features": [
                "Lite의 모든 기능",
                "메일: 사용자당 30GB, 자체 도메인 지원",
                "최대 200명까지 화상 통화",
                "Drive: 회사 전체 1TB",
            ],
            "notes": "메일이 필요한 기업을 위한 표준 플랜입니다.",
        },
    },
    "premium": {
        "ja": {
            "name": "Premium",
            "features": [
                "Basicのすべての機能",
                "メールとDrive: 1ユーザーあたり100GB",
                "監査ログ、情報漏えい防止、モバイルデバイス管理",
                "共有ドライブ: 1TB + 1ユーザーあたり10GB",
            ],
            "notes": "セキュリティとコンプライアンスが求められる組織向けです。",
        },
        "ko": {
            "name": "Premium",
            "features": [
                "Basic의 모든 기능",
                "메일과 Drive: 사용자당 100GB",
                "감사 로그, 정보 유출 방지, 모바일 기기 관리",
                "공유 드라이브: 1TB + 사용자당 10GB",
            ],
            "notes": "보안과 컴플라이언스가 필요한 조직을 위한 플랜입니다.",
        },
    },
}
TRANSLATED_FIELDS = ("name", "features", "notes")


def per_language_fields(entry: dict) -> dict:
    """A CATALOG entry's texts as django-modeltranslation's fields: `name_en`, `name_ja`, ..., `notes_ko`."""
    fields = {f"{name}_en": entry[name] for name in TRANSLATED_FIELDS}
    for language, texts in TRANSLATIONS.get(entry["code"], {}).items():
        fields.update({f"{name}_{language}": texts[name] for name in TRANSLATED_FIELDS})
    return fields


def ensure_catalog() -> None:
    """Create the seeded plans that are missing (never overwrites an operator's edits)."""
    from django.utils import translation

    from billing.models import Plan

    # django-modeltranslation copies the active language's texts into the untranslated columns: keep them English.
    with translation.override("en"):
        for entry in CATALOG:
            untranslated = {key: value for key, value in entry.items() if key not in TRANSLATED_FIELDS}
            Plan.objects.get_or_create(code=entry["code"], defaults={**untranslated, **per_language_fields(entry)})
