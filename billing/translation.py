"""Catalogue data per language (SPEC 2, 3; issue 12): django-modeltranslation adds `name_en`, `name_ja`, `name_ko`
(and the same for features and notes) and reads `plan.name` in the active language, English when not translated.
"""

from modeltranslation.translator import TranslationOptions, register

from .models import Plan


@register(Plan)
class PlanTranslationOptions(TranslationOptions):
    # A language left empty (``""``, ``[]``) in Django admin shows the English text rather than nothing.
    fields = ("name", "features", "notes")
